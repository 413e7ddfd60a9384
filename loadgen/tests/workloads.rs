//! Every workload for about a second at small scale against a real sockeye-server (in this process,
//! on its own runtime and port 0) with the benchmark handlers of native-server/examples/bench.rs;
//! the counts must add up: every ack back, every broadcast delivered, no error.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::net::SocketAddr;
use std::sync::mpsc;

use clap::Parser;
use sockeye_loadgen::{Options, Summary, run};
use sockeye_server::{
    AckSender, Args, ConnectionStateRecovery, Data, SocketIo, SocketIoBuilder, SocketRef,
};

/// A server with the benchmark handlers; it lives as long as the test process.
fn server() -> SocketAddr {
    server_with(SocketIo::builder())
}

/// As [`server`], built from `builder`.
fn server_with(builder: SocketIoBuilder) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (svc, io) = builder.build_svc();
            io.ns("/", |socket: SocketRef| {
                socket.on("echo-ack", |args: Args, ack: AckSender| {
                    let _ = ack.send(&args);
                });
                socket.on(
                    "join",
                    |socket: SocketRef, Data(room): Data<String>, ack: AckSender| {
                        socket.join(room).unwrap();
                        let _ = ack.send(&());
                    },
                );
                socket.on(
                    "to-room",
                    |socket: SocketRef,
                     Data((room, event)): Data<(String, String)>,
                     args: Args,
                     ack: AckSender| {
                        let sent = socket.to(room).emit(&event, &args.tail(2));
                        let _ = ack.send(&sent.is_ok());
                    },
                );
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            sockeye_server::serve(listener, svc, std::future::pending())
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

fn load(args: &[&str]) -> Summary {
    load_from(server(), args)
}

fn load_from(addr: SocketAddr, args: &[&str]) -> Summary {
    let url = format!("http://{addr}");
    let pid = std::process::id().to_string();
    let mut argv = vec![
        "sockeye-load",
        "--quiet",
        "--url",
        &url,
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--server-pid",
        &pid,
    ];
    argv.extend_from_slice(args);
    let summary = run(Options::parse_from(argv)).unwrap();
    println!("{}", summary.to_text());
    assert_eq!(summary.errors, 0, "{summary:#?}");
    assert_eq!(summary.lost_acks, 0);
    assert_eq!(summary.emitted, summary.acked, "every ack came back");
    assert!(summary.server_cpu_s.is_some());
    summary
}

#[test]
fn g1_ack_echo_over_websocket() {
    let s = load(&["--workload", "g1", "--clients", "20"]);
    assert_eq!(s.connected, 20);
    assert!(s.count > 100, "{} acks", s.count);
    // A G1 ack is a WebSocket frame each way of a few dozen bytes.
    let per_ack = (s.wire_received + s.wire_sent) / s.count;
    assert!((60..400).contains(&per_ack), "{per_ack} bytes per ack");
    assert_eq!(
        s.latency.count, s.count,
        "one latency per ack in the window"
    );
    assert!(s.latency.p50_ms > 0.0 && s.latency.p50_ms <= s.latency.p99_ms);
}

#[test]
fn g1_over_the_upgrade() {
    let s = load(&[
        "--workload",
        "g1",
        "--clients",
        "10",
        "--transport",
        "upgrade",
    ]);
    assert_eq!(s.connected, 10);
    assert!(s.count > 50, "{} acks", s.count);
}

#[test]
fn g2_holds_its_rate() {
    let s = load(&["--workload", "g2", "--clients", "20", "--rate", "400"]);
    assert_eq!(s.connected, 20);
    // 400/s for 1 s, give or take the emits straddling the window's edges.
    assert!((300..=500).contains(&s.count), "{} acks", s.count);
}

#[test]
fn g3_delivers_every_broadcast_to_every_receiver() {
    let s = load(&["--workload", "g3", "--clients", "50"]);
    assert_eq!(s.connected, 51, "50 receivers and the emitter");
    assert!(s.broadcasts > 10, "{} broadcasts", s.broadcasts);
    assert_eq!(s.missing_deliveries, 0);
    assert!(s.count > 500, "{} deliveries", s.count);
}

#[test]
fn mixed_times_acks_and_deliveries_apart_with_connection_state_recovery() {
    // Recovery on: every broadcast carries its offset as a last argument.
    let builder = SocketIo::builder().connection_state_recovery(ConnectionStateRecovery::default());
    let s = load_from(
        server_with(builder),
        &[
            "--workload",
            "mixed",
            "--clients",
            "20",
            "--rate",
            "400",
            "--broadcast-rate",
            "20",
        ],
    );
    assert_eq!(s.connected, 21, "20 members and the broadcaster");
    assert!((300..=500).contains(&s.count), "{} acks", s.count);
    assert_eq!(s.latency.count, s.count, "one round trip per ack");
    assert!(s.broadcasts >= 20, "{} broadcasts", s.broadcasts);
    assert_eq!(s.missing_deliveries, 0);
    assert!(s.deliveries >= 300, "{} deliveries", s.deliveries);
    assert_eq!(s.delivery_latency.count, s.deliveries);
    assert_eq!(s.unexpected, 0, "every tick read, offset and all");
}

#[test]
fn g4_stays_connected() {
    let s = load(&["--workload", "g4", "--clients", "100"]);
    assert_eq!(s.connected, 100);
    assert_eq!(s.count, 100);
    assert!(s.server_rss_per_connection_kib.is_some());
}

#[test]
fn g5_cycles_over_websocket_and_polling() {
    for transport in ["websocket", "polling"] {
        let s = load(&[
            "--workload",
            "g5",
            "--clients",
            "4",
            "--transport",
            transport,
        ]);
        assert!(s.count > 20, "{transport}: {} handshakes", s.count);
        assert_eq!(s.latency.count, s.count);
    }
}

#[test]
fn cycle_runs_the_cycles_asked_for_each_with_its_ack() {
    for transport in ["websocket", "polling"] {
        let s = load(&[
            "--workload",
            "cycle",
            "--clients",
            "4",
            "--cycles",
            "40",
            "--transport",
            transport,
        ]);
        assert_eq!(s.count, 40, "{transport}: {} cycles", s.count);
        assert_eq!(s.acked, 40, "{transport}: one ack a cycle");
        assert_eq!(s.latency.count, 40);
    }
}

#[test]
fn g6_ack_echo_over_long_polling() {
    let s = load(&[
        "--workload",
        "g6",
        "--clients",
        "20",
        "--transport",
        "polling",
    ]);
    assert_eq!(s.connected, 20);
    assert!(s.count > 50, "{} acks", s.count);
}

#[test]
fn g6_with_10_kb_payloads_through_http_compression() {
    // The server compresses each 10 KB answer (gzip, the generator accepts it) and the generator
    // decodes it: without that, every answer would be an error.
    let s = load(&[
        "--workload",
        "g6",
        "--clients",
        "5",
        "--transport",
        "polling",
        "--payload-bytes",
        "10000",
    ]);
    assert_eq!(s.connected, 5);
    assert!(s.count > 20, "{} acks", s.count);
    // Each ack is a 10 KB payload: sent as it is, received compressed about 4 to 1.
    let received = s.wire_received / s.count;
    let sent = s.wire_sent / s.count;
    assert!(sent > 10_000, "{sent} bytes sent per ack");
    assert!(
        (1000..4000).contains(&received),
        "{received} bytes received per ack"
    );
}

#[test]
fn a_server_that_is_not_there_is_counted() {
    // A port nothing listens on: bind one, learn its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let s = run(Options::parse_from([
        "sockeye-load",
        "--quiet",
        "--url",
        &url,
        "--clients",
        "5",
        "--duration",
        "0.2",
        "--warmup",
        "0",
    ]))
    .unwrap();
    assert_eq!(s.connected, 0);
    assert_eq!(s.connect_errors, 5);
    assert_eq!(s.errors, 5);
}
