//! The static files the binary serves ([`ServeDir`]): nothing outside the folder, even through a
//! symbolic link; no dotfiles; `X-Content-Type-Options: nosniff`; HEAD with the real length.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;
#[allow(dead_code, reason = "the binary's static files; this tests `ServeDir`")]
#[path = "../src/bin/sockeye-server/files.rs"]
mod files;

use std::net::SocketAddr;
use std::path::PathBuf;

use files::ServeDir;

/// A folder to serve, beside a secret outside it; removed on drop.
struct Site {
    base: PathBuf,
}

impl Site {
    fn new(name: &str) -> Site {
        let base = std::env::temp_dir().join(format!("sockeye-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let www = base.join("www");
        std::fs::create_dir_all(www.join("sub")).unwrap();
        std::fs::create_dir_all(www.join(".git")).unwrap();
        std::fs::write(base.join("secret.txt"), "outside").unwrap();
        std::fs::write(www.join("index.html"), "<p>hello</p>").unwrap();
        std::fs::write(www.join("sub/app.js"), "let x = 1;").unwrap();
        std::fs::write(www.join(".env"), "TOKEN=1").unwrap();
        std::fs::write(www.join(".git/config"), "[core]").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(base.join("secret.txt"), www.join("out.txt")).unwrap();
            symlink(&base, www.join("up")).unwrap();
            symlink(www.join("sub/app.js"), www.join("in.js")).unwrap();
            symlink(www.join(".env"), www.join("env.txt")).unwrap();
        }
        Site { base }
    }

    async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let svc = ServeDir::new(self.base.join("www"));
        tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
        addr
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

#[tokio::test]
async fn files_inside_are_served_with_nosniff() {
    let site = Site::new("inside");
    let addr = site.serve().await;
    let res = common::get(addr, "/sub/app.js").await;
    assert_eq!((res.status, res.body.as_str()), (200, "let x = 1;"));
    assert_eq!(
        res.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("content-length"), Some("10"));
    let res = common::get(addr, "/").await;
    assert_eq!((res.status, res.body.as_str()), (200, "<p>hello</p>"));
    let res = common::get(addr, "/missing").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn head_gets_the_real_length_and_no_body() {
    let site = Site::new("head");
    let addr = site.serve().await;
    let res = common::send(addr, "HEAD", "/sub/app.js", &[], b"")
        .await
        .response()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-length"), Some("10"));
    assert_eq!(res.body, "");
}

#[tokio::test]
async fn no_dotfile_is_served() {
    let site = Site::new("dot");
    let addr = site.serve().await;
    for path in ["/.env", "/.git/config", "/%2Eenv", "/sub/../.env"] {
        assert_eq!(common::get(addr, path).await.status, 404, "{path}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn no_symbolic_link_leads_out_of_the_folder() {
    let site = Site::new("links");
    let addr = site.serve().await;
    for path in ["/out.txt", "/up/secret.txt", "/env.txt"] {
        let res = common::get(addr, path).await;
        assert_eq!(res.status, 404, "{path}: {}", res.body);
    }
    // A link that stays inside is followed.
    let res = common::get(addr, "/in.js").await;
    assert_eq!((res.status, res.body.as_str()), (200, "let x = 1;"));
}
