//! The `sockeye-server` binary: it serves the static folders and runs the chat demo.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use common::{Dir, Sio, get};
use serde_json::json;

#[tokio::test]
async fn the_binary_serves_files_and_the_chat_demo() {
    let www = Dir::new("www");
    std::fs::write(www.0.join("index.html"), "<h1>chat</h1>").unwrap();
    let pkg = Dir::new("pkg");
    std::fs::write(pkg.0.join("sockeye.js"), "export {}").unwrap();

    let (mut child, addr) = common::spawn_binary([
        "--ping-interval".as_ref(),
        "300".as_ref(),
        "--ping-timeout".as_ref(),
        "200".as_ref(),
        "--www".as_ref(),
        www.0.as_os_str(),
        "--client-dir".as_ref(),
        pkg.0.as_os_str(),
    ])
    .await;

    let res = get(addr, "/").await;
    assert_eq!((res.status, res.body.as_str()), (200, "<h1>chat</h1>"));
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let res = get(addr, "/sockeye/sockeye.js").await;
    assert_eq!((res.status, res.body.as_str()), (200, "export {}"));
    assert_eq!(get(addr, "/sockeye/../etc/passwd").await.status, 404);
    assert_eq!(get(addr, "/missing.txt").await.status, 404);

    // The chat demo answers on `/` (its whole contract is tested in demo.rs).
    let mut ann = Sio::connect(addr, "").await;
    let rooms = ann.recv_event().await;
    assert_eq!(rooms[0], "rooms");
    assert_eq!(
        rooms[1],
        json!({"online": 1, "rooms": [{"name": "lobby", "count": 0}]})
    );
    ann.send(r#"420["nick"," ann "]"#).await;
    assert_eq!(ann.recv().await, r#"430[{"ok":true,"nick":"ann"}]"#);
    child.kill().await.unwrap();
}
