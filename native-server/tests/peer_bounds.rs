//! What one client can make a connection hold or repeat is bounded: CONNECTs (a second one to a
//! joined namespace, refused ones at wire speed), unfinished binary packets (a text in between,
//! too many attachments, too many bytes, too slow), and the log lines of undecodable events.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Frame, Sio, WAIT, channel, fast, next, start};
use sockeye_server::{AckSender, ConnectError, Data, DisconnectReason, SocketIo, SocketRef};

/// A header announcing two attachments, on `/`.
const TWO_ATTACHMENTS: &str =
    r#"452-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;

/// `/` acks `echo` with its argument; disconnect reasons go to the returned channel.
fn echo_server(io: &SocketIo) -> tokio::sync::mpsc::UnboundedReceiver<DisconnectReason> {
    let (tx, rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        socket.on("echo", |ack: AckSender, Data(s): Data<String>| {
            let _ = ack.send(&s);
        });
        let tx = tx.clone();
        socket.on_disconnect(move |reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    rx
}

/// The node still answers a new client.
async fn still_serving(addr: std::net::SocketAddr) {
    let mut other = Sio::connect(addr, "").await;
    other.send(r#"421["echo","still here"]"#).await;
    assert_eq!(other.recv().await, r#"431["still here"]"#);
}

/// The connection closes within [`WAIT`] with nothing sent but the Engine.IO close.
async fn closes(c: &mut Sio) {
    tokio::time::timeout(WAIT, async {
        loop {
            match c.ws.recv().await {
                Frame::Closed => return,
                Frame::Text(t) if t == "1" => {}
                other => panic!("expected the close, got {other:?}"),
            }
        }
    })
    .await
    .expect("closed in time");
}

#[tokio::test]
async fn a_second_connect_to_a_joined_namespace_runs_no_middleware_again() {
    let (addr, io) = start(fast()).await;
    let _reasons = echo_server(&io);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    io.of("/admin")
        .use_middleware(move |_socket: SocketRef| -> Result<(), ConnectError> {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    let mut c = Sio::open(addr).await;
    c.join_nsp("/admin", "").await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The reference's "invalid state": the connection closes, and the middleware was not asked.
    c.send("40/admin,").await;
    closes(&mut c).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(io.of("/admin").sockets().is_empty());
    still_serving(addr).await;
}

#[tokio::test]
async fn a_connect_while_the_first_is_pending_runs_no_middleware_again() {
    let (addr, io) = start(fast()).await;
    let _reasons = echo_server(&io);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let gate = Arc::new(tokio::sync::Notify::new());
    let opened = gate.clone();
    io.of("/slow").use_middleware(move |_socket: SocketRef| {
        counted.fetch_add(1, Ordering::SeqCst);
        let opened = opened.clone();
        async move {
            opened.notified().await;
            Ok::<(), ConnectError>(())
        }
    });
    let mut c = Sio::open(addr).await;
    c.send("40/slow,").await;
    c.send("40/slow,").await;
    c.send("40/slow,").await;
    // The three CONNECTs are read before the answer below, in order.
    c.send(r#"40"#).await;
    assert!(c.recv().await.starts_with("40{"));
    gate.notify_one();
    assert!(c.recv().await.starts_with("40/slow,{"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(io.of("/slow").sockets().len(), 1);
}

#[tokio::test]
async fn refused_connects_are_bounded_per_connection() {
    let (addr, io) = start(fast().max_refused_connects(3)).await;
    let _reasons = echo_server(&io);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    io.of("/vault")
        .use_middleware(move |_socket: SocketRef| -> Result<(), ConnectError> {
            counted.fetch_add(1, Ordering::SeqCst);
            Err(ConnectError::new("wrong password"))
        });
    let mut c = Sio::connect(addr, "").await;
    for _ in 0..3 {
        c.send(r#"40/vault,{"password":"guess"}"#).await;
        assert_eq!(c.recv().await, r#"44/vault,{"message":"wrong password"}"#);
    }
    // The fourth try at wire speed closes the connection, middleware not asked.
    c.send(r#"40/vault,{"password":"guess"}"#).await;
    closes(&mut c).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    still_serving(addr).await;
}

#[tokio::test]
async fn refused_connects_at_the_forgiving_rate_keep_the_connection() {
    let interval = Duration::from_millis(20);
    let (addr, io) = start(
        fast()
            .max_refused_connects(1)
            .refused_connect_interval(interval),
    )
    .await;
    let _reasons = echo_server(&io);
    io.of("/vault")
        .use_middleware(|_socket: SocketRef| -> Result<(), ConnectError> {
            Err(ConnectError::new("wrong password"))
        });
    let mut c = Sio::connect(addr, "").await;
    for _ in 0..5 {
        c.send("40/vault,").await;
        assert_eq!(c.recv().await, r#"44/vault,{"message":"wrong password"}"#);
        // Slower than one per interval: every try is asked.
        tokio::time::sleep(interval * 2).await;
    }
    c.send(r#"421["echo","kept"]"#).await;
    assert_eq!(c.recv().await, r#"431["kept"]"#);
}

#[tokio::test]
async fn a_text_packet_while_attachments_are_awaited_closes_the_connection_cleanly() {
    let (addr, io) = start(fast()).await;
    let mut reasons = echo_server(&io);
    let mut c = Sio::connect(addr, "").await;
    c.send(TWO_ATTACHMENTS).await;
    c.ws.send_binary(&[1]).await;
    c.send(r#"42["echo","between"]"#).await;
    closes(&mut c).await;
    assert_eq!(next(&mut reasons).await, DisconnectReason::ForcedClose);
    assert!(io.sockets().sockets().is_empty());
    still_serving(addr).await;
}

#[tokio::test]
async fn attachments_are_bounded_per_packet_in_number_and_bytes() {
    let (addr, io) = start(fast().max_attachments(2).max_attachment_bytes(1_000)).await;
    let mut reasons = echo_server(&io);
    // One more attachment than allowed: refused on the header.
    let mut c = Sio::connect(addr, "").await;
    c.send(r#"453-["up",{"_placeholder":true,"num":0}]"#).await;
    closes(&mut c).await;
    assert_eq!(next(&mut reasons).await, DisconnectReason::ForcedClose);
    // Within the number, past the bytes: refused on the attachment that crosses it.
    let mut c = Sio::connect(addr, "").await;
    c.send(TWO_ATTACHMENTS).await;
    c.ws.send_binary(&[0; 600]).await;
    c.ws.send_binary(&[0; 600]).await;
    closes(&mut c).await;
    assert_eq!(next(&mut reasons).await, DisconnectReason::ForcedClose);
    // At the bound: delivered.
    let (tx, mut got) = channel();
    io.ns("/files", move |socket: SocketRef| {
        let tx = tx.clone();
        socket.on("up", move |Data(parts): Data<Vec<bytes::Bytes>>| {
            let _ = tx.send(parts.iter().map(|p| p.len()).sum::<usize>());
        });
    });
    let mut c = Sio::open(addr).await;
    c.join_nsp("/files", "").await;
    c.send(r#"452-/files,["up",[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]]"#)
        .await;
    c.ws.send_binary(&[0; 400]).await;
    c.ws.send_binary(&[0; 600]).await;
    assert_eq!(next(&mut got).await, 1_000);
}

#[tokio::test]
async fn a_binary_packet_waits_for_its_attachments_no_longer_than_the_timeout() {
    let (addr, io) = start(fast().attachments_timeout(Duration::from_millis(200))).await;
    let mut reasons = echo_server(&io);
    let mut c = Sio::connect(addr, "").await;
    let started = tokio::time::Instant::now();
    c.send(TWO_ATTACHMENTS).await;
    c.ws.send_binary(&[1]).await;
    // The second attachment never comes; pings are answered, so only the timeout can close it.
    closes(&mut c).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(next(&mut reasons).await, DisconnectReason::ForcedClose);
    still_serving(addr).await;
}

/// A `tracing` writer that keeps every line in memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
    type Writer = Lines;
    fn make_writer(&'a self) -> Lines {
        self.clone()
    }
}

#[tokio::test]
async fn an_undecodable_event_in_a_loop_logs_one_warning() {
    let lines = Lines::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(lines.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    // This test's runtime has one thread: the server's tasks log through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let (addr, io) = start(fast()).await;
    io.ns("/", |socket: SocketRef| {
        socket.on("n", |Data(_n): Data<f64>| {});
        socket.on("echo", |ack: AckSender, Data(s): Data<String>| {
            let _ = ack.send(&s);
        });
    });
    let mut c = Sio::connect(addr, "").await;
    for _ in 0..200 {
        c.send(r#"42["n",1e400]"#).await;
    }
    // Handled in order: once the echo is answered, every `n` was.
    c.send(r#"421["echo","done"]"#).await;
    assert_eq!(c.recv().await, r#"431["done"]"#);
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let warnings = text.lines().filter(|l| l.contains("socket error")).count();
    assert_eq!(warnings, 1, "{text}");
    assert!(
        text.contains(r#"a handler of "n" was not called"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_client_leaves_the_rooms_its_middleware_joined() {
    let (addr, io) = start(fast()).await;
    let _reasons = echo_server(&io);
    io.of("/lobby")
        .use_middleware(|socket: SocketRef| -> Result<(), ConnectError> {
            socket.join("waiting").unwrap();
            Err(ConnectError::new("full"))
        });
    io.of("/lobby").on_connection(|_socket: SocketRef| {});
    let mut c = Sio::open(addr).await;
    for _ in 0..3 {
        c.send("40/lobby,").await;
        assert_eq!(c.recv().await, r#"44/lobby,{"message":"full"}"#);
    }
    assert_eq!(
        io.of("/lobby").rooms(),
        Vec::<sockeye_server::adapter::Room>::new()
    );
}

#[tokio::test]
async fn a_flood_of_small_packets_does_not_keep_other_sessions_waiting() {
    // One thread for the server and both clients: a session that never yields starves the rest.
    let handled = Arc::new(AtomicUsize::new(0));
    // The default heartbeat, not `fast()`'s: the flooding client reads nothing, so it never
    // answers a ping, and on a loaded machine the flood outlasts a short ping timeout, which
    // closed its session under it (the test then failed in `send_all`, or passed on a flood that
    // had stopped).
    let (addr, io) = start(SocketIo::builder()).await;
    let counter = handled.clone();
    io.ns("/", move |socket: SocketRef| {
        let count = counter.clone();
        // An event that needs no answer: nothing to write makes the session pause.
        socket.on("n", move || {
            count.fetch_add(1, Ordering::Relaxed);
        });
        let count = counter.clone();
        socket.on("echo", move |ack: AckSender| {
            let _ = ack.send(&count.load(Ordering::Relaxed));
        });
    });
    let mut flood = Sio::connect(addr, "").await;
    let mut other = Sio::connect(addr, "").await;
    const FLOOD: usize = 100_000;
    let frames: Vec<_> = (0..FLOOD)
        .map(|_| tokio_tungstenite::tungstenite::Message::Text(r#"42["n"]"#.into()))
        .collect();
    let sending = tokio::spawn(async move {
        use futures_util::SinkExt;
        let mut frames = futures_util::stream::iter(frames.into_iter().map(Ok));
        flood.ws.inner.send_all(&mut frames).await.unwrap();
        flood
    });
    // Once the flood is being handled, the other client asks for an ack.
    while handled.load(Ordering::Relaxed) == 0 {
        tokio::task::yield_now().await;
    }
    let asked_at = handled.load(Ordering::Relaxed);
    other.send(r#"421["echo"]"#).await;
    let answer = other.recv().await;
    let at: usize =
        serde_json::from_str::<Vec<usize>>(answer.strip_prefix("431").unwrap()).unwrap()[0];
    // Without a yield per budget, the flooding session handles every packet it has read (a
    // read of 4 KiB holds 585 of them, and tokio lets a task do 128 reads) before the ack.
    assert!(
        at - asked_at < 10_000,
        "{} flood packets handled while the ack waited",
        at - asked_at
    );
    let _flood = sending.await.unwrap();
}
