//! The `sockeye-server` binary: a Socket.IO server with a small chat demo on `/`, serving the demo
//! page (`--www`) and the npm client package (`--client-dir`, at `/sockeye/`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde::Deserialize;
use sockeye_server::{Cors, Event, ServeDir, SocketIo, SocketRef};

const USAGE: &str = "\
sockeye-server: a Socket.IO server with a chat demo

USAGE: sockeye-server [OPTIONS]

OPTIONS:
  --host HOST              address to bind (default 127.0.0.1)
  --port PORT              port to bind, 0 for any (default 3000)
  --www DIR                static files served at / (default www/)
  --client-dir DIR         the npm client package, served at /sockeye/ (default pkg/)
  --ping-interval MS       Engine.IO pingInterval (default 25000)
  --ping-timeout MS        Engine.IO pingTimeout (default 20000)
  --cors ORIGIN            allow cross-origin requests from ORIGIN (* for any)
  -h, --help               this help

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=sockeye_server=debug).";

struct Options {
    host: String,
    port: u16,
    www: PathBuf,
    client_dir: PathBuf,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    cors: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        host: "127.0.0.1".into(),
        port: 3000,
        www: "www".into(),
        client_dir: "pkg".into(),
        ping_interval: None,
        ping_timeout: None,
        cors: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--host" => opts.host = value("--host")?,
            "--port" => {
                let v = value("--port")?;
                opts.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--www" => opts.www = value("--www")?.into(),
            "--client-dir" => opts.client_dir = value("--client-dir")?.into(),
            "--ping-interval" => {
                opts.ping_interval = Some(number("--ping-interval", value("--ping-interval")?)?)
            }
            "--ping-timeout" => {
                opts.ping_timeout = Some(number("--ping-timeout", value("--ping-timeout")?)?)
            }
            "--cors" => opts.cors = Some(value("--cors")?),
            other => return Err(format!("unknown option: {other}")),
        }
    }
    Ok(opts)
}

/// A chat message: to a room, or to everyone without one.
#[derive(Deserialize)]
struct Chat {
    room: Option<String>,
    text: String,
}

/// The demo: join and leave rooms, chat in them (acknowledged), presence on connect/disconnect.
fn chat_demo(io: &SocketIo) {
    io.ns("/", |socket: SocketRef| async move {
        let name = socket
            .handshake()
            .auth
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("anonymous")
            .to_owned();
        let _ = socket.set_data(&serde_json::json!({ "name": name }));
        let _ = socket.broadcast().emit("joined", &(socket.id(), &name));

        socket.on("join", |socket: SocketRef, ev: Event| async move {
            if let Ok(room) = ev.data::<String>() {
                socket.join(room.as_str());
                let _ = socket.to(room.as_str()).emit("joined-room", &(socket.id(), &room));
                let _ = ev.ack_with(&socket.rooms());
            }
        });
        socket.on("leave", |socket: SocketRef, ev: Event| async move {
            if let Ok(room) = ev.data::<String>() {
                socket.leave(&room);
                let _ = ev.ack_with(&socket.rooms());
            }
        });
        socket.on("chat", |socket: SocketRef, ev: Event| async move {
            let Ok(chat) = ev.data::<Chat>() else {
                let _ = ev.ack_with(&serde_json::json!({ "error": "expected {room?, text}" }));
                return;
            };
            let from = socket
                .data::<serde_json::Value>()
                .and_then(|d| d.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                .unwrap_or_default();
            let message = serde_json::json!({ "from": from, "id": socket.id(), "room": chat.room, "text": chat.text });
            let sent = match &chat.room {
                Some(room) => socket.to(room.as_str()).emit("chat", &message),
                None => socket.broadcast().emit("chat", &message),
            };
            let _ = ev.ack_with(&serde_json::json!({ "ok": sent.is_ok() }));
        });
        socket.on_disconnect(|socket, reason| async move {
            tracing::info!(id = %socket.id(), %reason, "disconnected");
            let _ = socket.broadcast().emit("left", &socket.id());
        });
    });
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let mut builder = SocketIo::builder();
    if let Some(ms) = opts.ping_interval {
        builder = builder.ping_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = opts.ping_timeout {
        builder = builder.ping_timeout(Duration::from_millis(ms));
    }
    if let Some(origin) = &opts.cors {
        builder = builder.cors(Cors::from_origin(origin));
    }

    if !opts.www.is_dir() {
        tracing::warn!(
            "static folder {} not found: serving the Socket.IO API only",
            opts.www.display()
        );
    }
    if !opts.client_dir.is_dir() {
        tracing::info!(
            "client package folder {} not found: /sockeye/ is not served",
            opts.client_dir.display()
        );
    }
    let files = ServeDir::new(&opts.client_dir)
        .at("/sockeye/")
        .fallback(ServeDir::new(&opts.www));
    let (layer, io) = builder.build_layer();
    let svc = tower_layer::Layer::layer(&layer, files);
    chat_demo(&io);

    let addr = format!("{}:{}", opts.host, opts.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(a) => {
            tracing::info!("listening on http://{a}");
            println!("listening on http://{a}");
        }
        Err(e) => tracing::warn!("no local address: {e}"),
    }
    let shutdown_io = io.clone();
    let shutdown = async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        shutdown_io.close().await;
    };
    if let Err(e) = sockeye_server::serve(listener, svc, shutdown).await {
        eprintln!("server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
