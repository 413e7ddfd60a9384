//! One node of a cluster sharing rooms and broadcasts through Redis (`sockeye-redis`), with
//! handlers on `/` to exercise the cluster from outside (`tests/cluster/`,
//! `scripts/bench-cluster.sh`). `tests/cluster/node-server.mjs` is the same node in Node.
//!
//! ```text
//! cargo run -p sockeye-server --example cluster -- --port P --redis URL
//!     [--adapter pubsub|sharded|streams] [--key KEY] [--requests-timeout MS]
//!     [--restore-hold MS] [--parser json|msgpack] [--exit-with-stdin]
//! ```
//!
//! `pubsub` is `@socket.io/redis-adapter`'s `createAdapter`, `sharded` its
//! `createShardedAdapter` (Redis 7), `streams` `@socket.io/redis-streams-adapter`, with
//! connection state recovery on (its default options), as the Node twin has it;
//! `--restore-hold MS` (streams) runs the middlewares for recovered sockets too, with one that
//! broadcasts `restoring` (the socket id) cluster-wide and then holds the socket for MS
//! milliseconds before it joins its rooms (the window `join_restored` covers). `--parser msgpack`
//! speaks socket.io-msgpack-parser's wire to its clients (the adapter's own encoding between
//! nodes is the same either way), as `node-server.mjs --parser msgpack` does. Prints `listening on http://ADDR` on stdout once bound; `--exit-with-stdin` exits when
//! standard input closes. Handlers on `/`:
//!
//! - `join(room, ack)`: joins `room`, acks `"ok"`;
//! - `leave(room, ack)`: leaves `room`, acks `"ok"`;
//! - `to-room(room, payload)`: emits `room-msg` with `payload` to `room`, cluster-wide;
//! - `count(ack)`: acks the number of sockets cluster-wide (`fetch_sockets`);
//! - `all-rooms(ack)`: acks the sorted rooms of every node;
//! - `server-side(payload)`: `serverSideEmit("hello", payload)`; each node that gets `hello`
//!   emits `node-hello` with the payload to its own clients;
//! - `ask-all(ack)`: emits `question` to every socket with a 2 s timeout, acks the answers;
//! - `kick(room)`: disconnects the room's sockets cluster-wide;
//! - `remote-join(room, target, ack)`: makes the sockets in `target` join `room`
//!   cluster-wide (`socketsJoin`), acks `"ok"`; `remote-leave` likewise (`socketsLeave`);
//! - `ping-nodes(ack)`: `serverSideEmitWithAck("ping")`, acks the other nodes' answers (each
//!   node answers `ping` with `"pong from sockeye"`).

mod common;

use std::time::Duration;

use sockeye_redis::{RedisAdapterConfig, ShardedAdapterConfig, StreamsAdapterConfig};
use sockeye_server::{Args, ConnectionStateRecovery, Event, SocketIo, SocketRef, ToArgs, Value};

struct Options {
    port: u16,
    redis: String,
    adapter: String,
    key: Option<String>,
    requests_timeout: Option<u64>,
    restore_hold: Option<u64>,
    parser: sockeye_server::Parser,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        port: 3000,
        redis: "redis://127.0.0.1:6379".to_owned(),
        adapter: "pubsub".to_owned(),
        key: None,
        requests_timeout: None,
        restore_hold: None,
        parser: sockeye_server::Parser::Json,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let v = value("--port")?;
                opts.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--redis" => opts.redis = value("--redis")?,
            "--adapter" => opts.adapter = value("--adapter")?,
            "--key" => opts.key = Some(value("--key")?),
            "--requests-timeout" => {
                let v = value("--requests-timeout")?;
                opts.requests_timeout =
                    Some(v.parse().map_err(|_| format!("--requests-timeout: {v}"))?);
            }
            "--restore-hold" => {
                let v = value("--restore-hold")?;
                opts.restore_hold = Some(v.parse().map_err(|_| format!("--restore-hold: {v}"))?);
            }
            "--parser" => opts.parser = common::parser_arg(args.next())?,
            "--exit-with-stdin" => common::exit_with_stdin(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(opts)
}

fn handlers(io: &SocketIo, socket: &SocketRef) {
    socket.on("join", |socket: SocketRef, ev: Event| async move {
        if let Ok(room) = ev.data::<String>() {
            // Refused only past `max_rooms_per_socket` (10,000 rooms).
            let _ = socket.join(room);
        }
        let _ = ev.ack_with("ok");
    });
    socket.on("leave", |socket: SocketRef, ev: Event| async move {
        if let Ok(room) = ev.data::<String>() {
            socket.leave(&room);
        }
        let _ = ev.ack_with("ok");
    });
    let server = io.clone();
    socket.on("to-room", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            if let Ok((room, payload)) = ev.data::<(String, Value)>() {
                let _ = io.to(room).emit("room-msg", &payload);
            }
        }
    });
    let server = io.clone();
    socket.on("count", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            match io.fetch_sockets().await {
                Ok(sockets) => {
                    let _ = ev.ack_with(&sockets.len());
                }
                Err(e) => {
                    let _ = ev.ack_with(&format!("error: {e}"));
                }
            }
        }
    });
    let server = io.clone();
    socket.on("all-rooms", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            match io.sockets().adapter().all_rooms().await {
                Ok(mut rooms) => {
                    rooms.sort();
                    let _ = ev.ack_with(&rooms);
                }
                Err(e) => {
                    let _ = ev.ack_with(&format!("error: {e}"));
                }
            }
        }
    });
    let server = io.clone();
    socket.on("server-side", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            let payload = ev.arg::<Value>(0).unwrap_or_default();
            if let Err(e) = io.sockets().server_side_emit("hello", &payload).await {
                tracing::warn!("serverSideEmit failed: {e}");
            }
        }
    });
    let server = io.clone();
    socket.on("ask-all", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            let answers = match io
                .timeout(Duration::from_secs(2))
                .emit_with_ack::<_, Value>("question", &())
                .await
            {
                Ok(answers) => answers,
                // The answers that came before the timeout.
                Err(e) => e
                    .responses
                    .iter()
                    .map(|args| Value::from_args(args).unwrap_or_default())
                    .collect(),
            };
            let _ = ev.ack_with(&answers);
        }
    });
    let server = io.clone();
    socket.on("kick", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            if let Ok(room) = ev.data::<String>() {
                io.to(room).disconnect_sockets(false);
            }
        }
    });
    let server = io.clone();
    socket.on("remote-join", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            if let Ok((room, target)) = ev.data::<(String, String)>() {
                io.to(target).sockets_join(room);
            }
            let _ = ev.ack_with("ok");
        }
    });
    let server = io.clone();
    socket.on("ping-nodes", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            match io
                .sockets()
                .server_side_emit_with_ack("ping", &(), Duration::from_secs(5))
                .await
            {
                Ok(answers) => {
                    let answers: Vec<Value> = answers
                        .iter()
                        .map(|args| Value::from_args(args).unwrap_or_default())
                        .collect();
                    let _ = ev.ack_with(&answers);
                }
                Err(e) => {
                    let _ = ev.ack_with(&format!("error: {e}"));
                }
            }
        }
    });
    let server = io.clone();
    socket.on("remote-leave", move |_s: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            if let Ok((room, target)) = ev.data::<(String, String)>() {
                io.to(target).sockets_leave(room);
            }
            let _ = ev.ack_with("ok");
        }
    });
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let opts = match common::start("cluster", parse_args) {
        Ok(o) => o,
        Err(code) => return code,
    };

    let builder = SocketIo::builder().parser(opts.parser);
    let builder = match opts.adapter.as_str() {
        "pubsub" => {
            let mut config = match RedisAdapterConfig::new(&opts.redis) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cluster: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            if let Some(key) = &opts.key {
                config = config.key(key.clone());
            }
            if let Some(ms) = opts.requests_timeout {
                config = config.requests_timeout(Duration::from_millis(ms));
            }
            builder.adapter(config.factory())
        }
        "sharded" => match ShardedAdapterConfig::new(&opts.redis) {
            Ok(c) => builder.adapter(c.factory()),
            Err(e) => {
                eprintln!("cluster: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        "streams" => match StreamsAdapterConfig::new(&opts.redis) {
            Ok(c) => builder
                .connection_state_recovery(ConnectionStateRecovery {
                    skip_middlewares: opts.restore_hold.is_none(),
                    ..ConnectionStateRecovery::default()
                })
                .adapter(c.factory()),
            Err(e) => {
                eprintln!("cluster: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        other => {
            eprintln!("cluster: unknown adapter {other} (pubsub, sharded, streams)");
            return std::process::ExitCode::from(2);
        }
    };
    let (layer, io) = builder.build_layer();

    if let Some(ms) = opts.restore_hold {
        let server = io.clone();
        io.sockets().use_middleware(move |socket: SocketRef| {
            let io = server.clone();
            async move {
                if socket.recovered() {
                    let _ = io.emit("restoring", socket.id());
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                Ok(())
            }
        });
    }
    let server = io.clone();
    io.ns("/", move |socket: SocketRef| handlers(&server, &socket));
    let server = io.clone();
    io.sockets()
        .on_server_side("hello", move |args: Args, _ack| {
            let io = server.clone();
            async move {
                let payload = Value::from_args(&args).unwrap_or_default();
                let _ = io.local().emit("node-hello", &payload);
            }
        });

    io.sockets()
        .on_server_side("ping", |_args: Args, ack| async move {
            if let Some(ack) = ack
                && let Ok(args) = "pong from sockeye".to_args()
            {
                let _ = ack.send(args);
            }
        });

    let app = axum::Router::new().layer(layer);
    common::serve("cluster", opts.port, app).await
}
