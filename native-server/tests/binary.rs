//! The `sockeye-server` binary: it serves the static folders and runs the chat demo.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use common::{Sio, WAIT, get};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let dir =
            std::env::temp_dir().join(format!("sockeye-{name}-{}", u64::from_le_bytes(bytes)));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_binary_serves_files_and_the_chat_demo() {
    let www = Dir::new("www");
    std::fs::write(www.0.join("index.html"), "<h1>chat</h1>").unwrap();
    let pkg = Dir::new("pkg");
    std::fs::write(pkg.0.join("sockeye.js"), "export {}").unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockeye-server"))
        .args([
            "--port",
            "0",
            "--ping-interval",
            "300",
            "--ping-timeout",
            "200",
        ])
        .arg("--www")
        .arg(&www.0)
        .arg("--client-dir")
        .arg(&pkg.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr: SocketAddr = line
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();

    let res = get(addr, "/").await;
    assert_eq!((res.status, res.body.as_str()), (200, "<h1>chat</h1>"));
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let res = get(addr, "/sockeye/sockeye.js").await;
    assert_eq!((res.status, res.body.as_str()), (200, "export {}"));
    assert_eq!(get(addr, "/sockeye/../etc/passwd").await.status, 404);
    assert_eq!(get(addr, "/missing.txt").await.status, 404);

    let mut ann = Sio::connect(addr, r#"{"name":"ann"}"#).await;
    let mut bob = Sio::connect(addr, r#"{"name":"bob"}"#).await;
    assert_eq!(ann.recv_event().await, json!(["joined", bob.sid, "bob"]));
    for c in [&mut ann, &mut bob] {
        c.send(r#"421["join","r"]"#).await;
        let ack = c.recv().await;
        if ack.starts_with("42") {
            // bob joining the room after ann: ann hears it first.
            assert!(ack.contains("joined-room"), "{ack}");
            assert!(c.recv().await.starts_with("431["));
        } else {
            assert!(ack.starts_with("431["), "{ack}");
        }
    }
    assert_eq!(ann.recv_event().await, json!(["joined-room", bob.sid, "r"]));
    ann.send(r#"422["chat",{"room":"r","text":"hi"}]"#).await;
    assert_eq!(ann.recv().await, r#"432[{"ok":true}]"#);
    assert_eq!(
        bob.recv_event().await,
        json!(["chat", {"from": "ann", "id": ann.sid, "room": "r", "text": "hi"}])
    );
    drop(ann);
    assert_eq!(bob.recv_event().await[0], "left");
    child.kill().await.unwrap();
}
