//! A real redis-server of the tests' own, as `tests/cluster/support.mjs` starts one: on a free
//! 127.0.0.1 port, without persistence, killed when dropped. Used by this crate's unit tests and
//! (through `#[path]`) by its integration tests. `REDIS_SERVER` names another binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    unreachable_pub,
    reason = "test helper"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running redis-server; killed on drop.
pub struct RedisServer {
    child: Child,
    /// Its `redis://` URL.
    pub url: String,
}

impl RedisServer {
    /// Starts one and waits until it accepts connections.
    pub fn start() -> RedisServer {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        // A port the OS just gave out and took back; redis-server fails loudly if it is taken.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin}: {e} (apt-get install redis-server)"));
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        // Blocks until the line comes, or the output ends when redis-server exits.
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("Ready to accept connections"));
        assert!(ready, "redis-server did not start on port {port}");
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }

    /// A plain connection for the test's own commands.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
