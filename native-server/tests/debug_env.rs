//! The binary reads `DEBUG` as the reference's users set it (`DEBUG=engine*`), unless `RUST_LOG`
//! is set: a refused request is logged at debug level by the Engine.IO layer.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt};

/// Runs the binary with `env`, sends it a request Engine.IO refuses, and returns its log.
async fn log_with(env: &[(&str, &str)]) -> String {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockeye-server"));
    cmd.args(["--host", "127.0.0.1", "--port", "0", "--no-serve-client"])
        .args(["--www", "/nonexistent", "--client-dir", "/nonexistent"])
        .env_remove("RUST_LOG")
        .env_remove("DEBUG")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let addr: SocketAddr = line
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let res = common::get(addr, "/socket.io/?EIO=4").await;
    assert_eq!(res.status, 400);
    child.kill().await.unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .await
        .unwrap();
    log
}

const REFUSAL: &str = "connection error";

#[tokio::test]
async fn debug_engine_star_logs_the_engine_layer_and_rust_log_wins() {
    assert!(log_with(&[("DEBUG", "engine*")]).await.contains(REFUSAL));
    assert!(
        log_with(&[("DEBUG", "engine,socket.io:*")])
            .await
            .contains(REFUSAL)
    );
    for env in [
        &[][..],
        &[("DEBUG", "socket.io:*")][..],
        &[("DEBUG", "engine*"), ("RUST_LOG", "warn")][..],
    ] {
        let log = log_with(env).await;
        assert!(!log.contains(REFUSAL), "{env:?}: {log}");
    }
}
