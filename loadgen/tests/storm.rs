//! The storm workload against a real sockeye-server that is stopped and started again on the same
//! port: every client comes back through the core's reconnection, and the figures add up.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use sockeye_loadgen::{Options, run};
use sockeye_server::{SocketIo, SocketRef};

/// A server on `addr` (port 0: any) until `stop` receives; then its runtime is dropped, which
/// closes every connection at once, as a killed process would.
fn server(addr: SocketAddr) -> (SocketAddr, mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = stop_rx.recv();
            let _ = stopped_tx.send(());
        });
        runtime.block_on(async move {
            let (svc, io) = SocketIo::builder().build_svc();
            io.ns("/", |_socket: SocketRef| async move {});
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            tokio::select! {
                r = sockeye_server::serve(listener, svc, std::future::pending()) => r.unwrap(),
                _ = stopped_rx => {}
            }
        });
        runtime.shutdown_background();
    });
    (rx.recv().unwrap(), stop_tx, thread)
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[test]
fn every_client_reconnects_after_a_restart() {
    let (addr, stop, thread) = server("127.0.0.1:0".parse().unwrap());
    let dir = std::env::temp_dir().join(format!("sockeye-storm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ready: PathBuf = dir.join("ready");
    let restart: PathBuf = dir.join("restart");
    let url = format!("http://{addr}");
    let opts = Options::parse_from([
        "sockeye-load",
        "--quiet",
        "--workload",
        "storm",
        "--url",
        &url,
        "--clients",
        "50",
        "--duration",
        "20",
        "--ready-file",
        ready.to_str().unwrap(),
        "--restart-file",
        restart.to_str().unwrap(),
    ]);
    let load = std::thread::spawn(move || run(opts).unwrap());
    let limit = std::time::Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < limit,
            "the clients did not connect"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    stop.send(()).unwrap();
    thread.join().unwrap();
    // Nothing listens for a moment: an attempt then (none is due before 500 ms) would be refused.
    std::thread::sleep(Duration::from_millis(100));
    let (again, _stop, _thread) = server(addr);
    assert_eq!(again, addr);
    std::fs::write(&restart, format!("{}\n", unix_ms())).unwrap();

    let s = load.join().unwrap();
    println!("{}", s.to_text());
    let storm = s.storm.clone().unwrap();
    assert_eq!(s.connected, 50);
    assert_eq!(storm.since, "restart");
    assert_eq!(storm.lost, 50);
    assert_eq!(storm.reconnected, 50);
    assert_eq!(storm.not_back, 0);
    assert_eq!(storm.refused_after, 0);
    assert_eq!(storm.reconnect_ms.len(), 50);
    assert!(storm.reconnect_attempts >= 50);
    // The reference's backoff: the first attempt 500 to 1500 ms after the loss, less the 100 ms
    // the server was away.
    let p100 = storm.p100_ms.unwrap();
    assert!((300.0..5000.0).contains(&p100), "last back after {p100} ms");
    assert!(storm.p50_ms.unwrap() <= storm.p99_ms.unwrap());
    assert_eq!(s.count, 50);
    assert_eq!(s.errors, 0, "{s:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}
