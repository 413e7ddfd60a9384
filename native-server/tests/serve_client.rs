//! `serve_client`: the classic-script client at `/socket.io/socket.io.js`, its map and its module,
//! with the reference's headers (type, `Cache-Control`, `ETag`, 304), and nothing else under the
//! path; off in the library (the path is Engine.IO's, as the reference's with
//! `serveClient(false)`), on in the binary.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::{Dir, Res, get, send};
use sockeye_server::{Cors, SocketIo, SocketIoBuilder};

impl Dir {
    /// A folder holding a classic build's three files.
    fn classic() -> Dir {
        let dir = Dir::new("classic");
        std::fs::write(dir.0.join("socket.io.js"), "var io = 1;").unwrap();
        std::fs::write(dir.0.join("socket.io.js.map"), "{\"version\":3}").unwrap();
        std::fs::write(dir.0.join("socket.io.wasm"), "\0asm").unwrap();
        dir
    }
}

async fn start(builder: SocketIoBuilder) -> SocketAddr {
    let (svc, io) = builder.build_svc();
    io.ns("/", |_: sockeye_server::SocketRef| async {});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
    addr
}

async fn get_if_none_match(addr: SocketAddr, path: &str, etag: &str) -> Res {
    send(addr, "GET", path, &[("If-None-Match", etag)], b"")
        .await
        .response()
        .await
}

const TRANSPORT_UNKNOWN: &str = r#"{"code":0,"message":"Transport unknown"}"#;

#[tokio::test]
async fn serves_the_three_files_with_their_types_and_the_reference_s_headers() {
    let dir = Dir::classic();
    let addr = start(SocketIo::builder().serve_client(&dir.0)).await;
    for (path, body, content_type) in [
        (
            "/socket.io/socket.io.js",
            "var io = 1;",
            "application/javascript; charset=utf-8",
        ),
        (
            "/socket.io/socket.io.js.map",
            "{\"version\":3}",
            "application/json; charset=utf-8",
        ),
        ("/socket.io/socket.io.wasm", "\0asm", "application/wasm"),
    ] {
        let res = get(addr, path).await;
        assert_eq!((res.status, res.body.as_str()), (200, body), "{path}");
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        assert_eq!(res.header("cache-control"), Some("public, max-age=0"));
        let etag = res.header("etag").unwrap();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    }
    // A query (a cache buster) is not part of the name.
    let res = get(addr, "/socket.io/socket.io.js?v=2").await;
    assert_eq!((res.status, res.body.as_str()), (200, "var io = 1;"));
    // The socket.io server still answers Engine.IO under the same path.
    let res = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
    assert!(res.body.starts_with("0{\"sid\""), "{}", res.body);
}

#[tokio::test]
async fn if_none_match_with_the_etag_is_304_and_a_change_makes_a_new_one() {
    let dir = Dir::classic();
    let addr = start(SocketIo::builder().serve_client(&dir.0)).await;
    let path = "/socket.io/socket.io.js";
    let etag = get(addr, path).await.header("etag").unwrap().to_owned();
    for named in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
        let res = get_if_none_match(addr, path, &named).await;
        assert_eq!((res.status, res.body.as_str()), (304, ""), "{named}");
        assert_eq!(res.header("etag"), Some(etag.as_str()));
    }
    let res = get_if_none_match(addr, path, "\"another\"").await;
    assert_eq!((res.status, res.body.as_str()), (200, "var io = 1;"));

    // A rebuild: the next request reads the new file, with a new ETag.
    std::fs::write(dir.0.join("socket.io.js"), "var io = 2; // rebuilt").unwrap();
    let res = get_if_none_match(addr, path, &etag).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (200, "var io = 2; // rebuilt")
    );
    assert_ne!(res.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn nothing_else_under_the_path_is_served_and_a_missing_file_is_404() {
    let dir = Dir::classic();
    std::fs::write(dir.0.join("socket.io.min.js"), "not served").unwrap();
    std::fs::remove_file(dir.0.join("socket.io.js.map")).unwrap();
    let addr = start(SocketIo::builder().serve_client(&dir.0)).await;
    for other in [
        "/socket.io/socket.io.min.js",
        "/socket.io/socket.io.esm.min.js",
        "/socket.io/x/socket.io.js",
    ] {
        let res = get(addr, other).await;
        assert_eq!(
            (res.status, res.body.as_str()),
            (400, TRANSPORT_UNKNOWN),
            "{other}"
        );
    }
    assert_eq!(get(addr, "/socket.io.js").await.status, 404);
    let res = get(addr, "/socket.io/socket.io.js.map").await;
    assert_eq!((res.status, res.body.as_str()), (404, ""));

    // A folder that does not exist: every file is 404, Engine.IO works.
    let addr = start(SocketIo::builder().serve_client(Path::new("/nonexistent/sockeye"))).await;
    assert_eq!(get(addr, "/socket.io/socket.io.js").await.status, 404);
    let res = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn off_by_default_in_the_library_the_path_is_engine_io_s() {
    let addr = start(SocketIo::builder()).await;
    let res = get(addr, "/socket.io/socket.io.js").await;
    assert_eq!((res.status, res.body.as_str()), (400, TRANSPORT_UNKNOWN));
}

#[tokio::test]
async fn under_another_path_and_with_cors() {
    let dir = Dir::classic();
    let builder = SocketIo::builder()
        .path("/rt")
        .cors(Cors::from_origin("https://app.example"))
        .serve_client(&dir.0);
    let addr = start(builder).await;
    let res = send(
        addr,
        "GET",
        "/rt/socket.io.js",
        &[("Origin", "https://app.example")],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!((res.status, res.body.as_str()), (200, "var io = 1;"));
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example"),
        "as the reference, the CORS middleware runs for the client's files too"
    );
    assert_eq!(get(addr, "/socket.io/socket.io.js").await.status, 404);
}

#[tokio::test]
async fn the_binary_serves_the_client_from_the_package_s_classic_folder() {
    let pkg = Dir::new("pkg");
    let classic = Dir::classic();
    std::fs::rename(&classic.0, pkg.0.join("classic")).unwrap();
    let www = pkg.0.join("www");
    let args = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--www".into(),
            www.clone().into(),
            "--client-dir".into(),
            pkg.0.clone().into(),
        ];
        args.extend(extra.iter().map(Into::into));
        args
    };

    let (mut child, addr) = common::spawn_binary(args(&[])).await;
    let res = get(addr, "/socket.io/socket.io.js").await;
    assert_eq!((res.status, res.body.as_str()), (200, "var io = 1;"));
    assert_eq!(
        res.header("content-type"),
        Some("application/javascript; charset=utf-8")
    );
    child.kill().await.unwrap();

    let (mut child, addr) = common::spawn_binary(args(&["--no-serve-client"])).await;
    let res = get(addr, "/socket.io/socket.io.js").await;
    assert_eq!((res.status, res.body.as_str()), (400, TRANSPORT_UNKNOWN));
    child.kill().await.unwrap();

    // Pointed at a folder without the build: 404, not Engine.IO's 400.
    let empty = Dir::new("empty");
    let empty = empty.0.to_str().unwrap().to_owned();
    let (mut child, addr) = common::spawn_binary(args(&["--serve-client", &empty])).await;
    assert_eq!(get(addr, "/socket.io/socket.io.js").await.status, 404);
    child.kill().await.unwrap();
}
