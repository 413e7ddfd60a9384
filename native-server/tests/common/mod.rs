//! A raw test client: HTTP/1.1 over a plain TCP stream (one request per connection, so a test
//! controls concurrency and can abort a request by dropping it) and WebSocket with
//! tokio-tungstenite. It speaks Engine.IO / Socket.IO text by hand, as the protocol notes write it.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses part of the helpers"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers"
)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sockeye_server::{EngineIo, SocketIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);

/// Serves a Socket.IO server built from `builder` on 127.0.0.1:0.
pub async fn start(builder: sockeye_server::SocketIoBuilder) -> (SocketAddr, SocketIo) {
    start_with(builder, sockeye_server::ServeConfig::default()).await
}

/// [`start`] with the HTTP server's own settings.
pub async fn start_with(
    builder: sockeye_server::SocketIoBuilder,
    config: sockeye_server::ServeConfig,
) -> (SocketAddr, SocketIo) {
    let (svc, io) = builder.build_svc();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let closed = io.closed();
    tokio::spawn(sockeye_server::serve_with(listener, svc, closed, config));
    (addr, io)
}

/// A channel tests use to hear from handlers.
pub fn channel<T>() -> (
    tokio::sync::mpsc::UnboundedSender<T>,
    tokio::sync::mpsc::UnboundedReceiver<T>,
) {
    tokio::sync::mpsc::unbounded_channel()
}

/// The next value on `rx`, within [`WAIT`].
pub async fn next<T>(rx: &mut tokio::sync::mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("a value")
}

/// Serves a bare Engine.IO server on 127.0.0.1:0.
pub async fn start_engine(builder: sockeye_server::EngineIoBuilder) -> (SocketAddr, EngineIo) {
    let (svc, io) = builder.build_svc();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
    (addr, io)
}

/// Fast heartbeats for tests: pingInterval 300 ms, pingTimeout 200 ms.
pub fn fast() -> sockeye_server::SocketIoBuilder {
    SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
}

/// An HTTP response.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request sent and not yet read: drop it to abort.
pub struct Pending(TcpStream);

impl Pending {
    pub async fn response(mut self) -> Res {
        let mut raw = Vec::new();
        tokio::time::timeout(WAIT, self.0.read_to_end(&mut raw))
            .await
            .expect("response in time")
            .unwrap();
        parse(&raw)
    }
}

fn parse(raw: &[u8]) -> Res {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Res {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Sends a request (`Connection: close`) and returns before reading the answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Pending {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(req.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    Pending(stream)
}

pub async fn get(addr: SocketAddr, path: &str) -> Res {
    send(addr, "GET", path, &[], b"").await.response().await
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Res {
    send(
        addr,
        "POST",
        path,
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body.as_bytes(),
    )
    .await
    .response()
    .await
}

/// The `sid` of an open packet `0{...}`.
pub fn sid_of(open: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(open.strip_prefix('0').expect("an open packet")).unwrap();
    json["sid"].as_str().unwrap().to_owned()
}

/// A polling session: its handshake done.
pub struct Polling {
    pub addr: SocketAddr,
    pub path: String,
    pub sid: String,
    pub open: String,
}

impl Polling {
    pub async fn open(addr: SocketAddr) -> Polling {
        Polling::open_at(addr, "/socket.io/").await
    }

    pub async fn open_at(addr: SocketAddr, path: &str) -> Polling {
        let res = get(addr, &format!("{path}?EIO=4&transport=polling")).await;
        assert_eq!(res.status, 200, "{res:?}");
        let sid = sid_of(&res.body);
        Polling {
            addr,
            path: path.to_owned(),
            sid,
            open: res.body,
        }
    }

    pub fn url(&self) -> String {
        format!("{}?EIO=4&transport=polling&sid={}", self.path, self.sid)
    }

    pub async fn get(&self) -> Res {
        get(self.addr, &self.url()).await
    }

    pub async fn start_get(&self) -> Pending {
        send(self.addr, "GET", &self.url(), &[], b"").await
    }

    pub async fn post(&self, body: &str) -> Res {
        post(self.addr, &self.url(), body).await
    }

    /// GETs until a payload that is not only pings (answering them), and returns its packets.
    pub async fn recv(&self) -> Vec<String> {
        loop {
            let res = self.get().await;
            assert_eq!(res.status, 200, "{res:?}");
            let packets: Vec<String> = res.body.split('\u{1e}').map(str::to_owned).collect();
            if packets.iter().any(|p| p == "2") {
                self.post("3").await;
            }
            let rest: Vec<String> = packets.into_iter().filter(|p| p != "2").collect();
            if !rest.is_empty() {
                return rest;
            }
        }
    }
}

/// A raw WebSocket.
pub struct Ws {
    pub inner: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    /// Answer Engine.IO pings by itself.
    pub auto_pong: bool,
}

/// What a WebSocket read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    Closed,
}

impl Ws {
    pub async fn connect(addr: SocketAddr, query: &str) -> Ws {
        Ws::try_connect(addr, query)
            .await
            .expect("the upgrade is accepted")
    }

    pub async fn try_connect(
        addr: SocketAddr,
        query: &str,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let url = format!("ws://{addr}/socket.io/?{query}");
        let (inner, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Ws {
            inner,
            auto_pong: true,
        })
    }

    pub async fn connect_path(addr: SocketAddr, path: &str, query: &str) -> Ws {
        let url = format!("ws://{addr}{path}?{query}");
        let (inner, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws {
            inner,
            auto_pong: true,
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.inner.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.inner
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .unwrap();
    }

    /// The next frame (pings answered when `auto_pong`), or `Closed`.
    pub async fn recv(&mut self) -> Frame {
        loop {
            let next = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("a frame in time");
            match next {
                Some(Ok(Message::Text(t))) => {
                    if self.auto_pong && t.as_str() == "2" {
                        let _ = self.inner.send(Message::Text("3".into())).await;
                        continue;
                    }
                    return Frame::Text(t.as_str().to_owned());
                }
                Some(Ok(Message::Binary(b))) => return Frame::Binary(b.to_vec()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Frame::Closed,
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Reads until the WebSocket closes; fails if that takes longer than [`WAIT`] in all (pings
    /// answered on the way do not extend it).
    pub async fn expect_closed(&mut self) {
        tokio::time::timeout(WAIT, async { while self.recv().await != Frame::Closed {} })
            .await
            .expect("the WebSocket closes in time");
    }

    /// Reads until the server's close frame and returns its status, if it has one. Fails if the
    /// connection ends without a close frame (a reset, or a plain TCP close).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let next = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("the close in time");
            match next {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                None => panic!("the connection ended without a close frame"),
                Some(Err(e)) => panic!("the connection failed before a close frame: {e}"),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Whether nothing arrives within `d` (pings answered).
    pub async fn quiet_for(&mut self, d: Duration) -> Option<Frame> {
        tokio::time::timeout(d, self.recv()).await.ok()
    }
}

/// A Socket.IO client on one WebSocket, its handshake done and `/` (or `nsp`) connected.
pub struct Sio {
    pub ws: Ws,
    pub engine_sid: String,
    /// The socket id of the last CONNECT answer.
    pub sid: String,
    /// The last CONNECT answer's payload.
    pub connect: serde_json::Value,
}

impl Sio {
    /// Opens a WebSocket session without connecting a namespace.
    pub async fn open(addr: SocketAddr) -> Sio {
        let mut ws = Ws::connect(addr, "EIO=4&transport=websocket").await;
        let open = ws.recv_text().await;
        let engine_sid = sid_of(&open);
        Sio {
            ws,
            engine_sid,
            sid: String::new(),
            connect: serde_json::Value::Null,
        }
    }

    /// Opens a session and connects `/` with `auth` (none when empty).
    pub async fn connect(addr: SocketAddr, auth: &str) -> Sio {
        let mut sio = Sio::open(addr).await;
        sio.join_nsp("", auth).await;
        sio
    }

    /// Sends CONNECT for `nsp` (`""` for `/`) and expects its `0` answer.
    pub async fn join_nsp(&mut self, nsp: &str, auth: &str) {
        let prefix = if nsp.is_empty() {
            String::new()
        } else {
            format!("{nsp},")
        };
        self.ws.send(&format!("40{prefix}{auth}")).await;
        let answer = self.ws.recv_text().await;
        let expected = format!("40{prefix}");
        let payload = answer
            .strip_prefix(&expected)
            .unwrap_or_else(|| panic!("expected {expected}..., got {answer}"));
        self.connect = serde_json::from_str(payload).unwrap();
        self.sid = self.connect["sid"].as_str().unwrap().to_owned();
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(text).await
    }

    pub async fn recv(&mut self) -> String {
        self.ws.recv_text().await
    }

    /// The next EVENT as its JSON array (after the `42` prefix, for `/`).
    pub async fn recv_event(&mut self) -> serde_json::Value {
        let text = self.recv().await;
        let json = text
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("expected an event, got {text}"));
        serde_json::from_str(json).unwrap()
    }
}

/// Starts the `sockeye-server` binary on 127.0.0.1:0 with `args`; returns the child (killed on
/// drop) and the address it printed once listening.
pub async fn spawn_binary<I, A>(args: I) -> (tokio::process::Child, SocketAddr)
where
    I: IntoIterator<Item = A>,
    A: AsRef<std::ffi::OsStr>,
{
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockeye-server"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    (child, addr)
}

/// A temporary folder, removed on drop.
pub struct Dir(pub std::path::PathBuf);

impl Dir {
    /// A new, empty folder under the system's temporary one, named after `name`.
    pub fn new(name: &str) -> Dir {
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
