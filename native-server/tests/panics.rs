//! A handler that panics closes its own connection and nothing else: its session leaves the
//! table, its socket its namespace and rooms, the acknowledgement it owed stops being awaited,
//! `SocketIo::close` still finishes, and other clients go on being served. Each panic site in
//! turn: an event handler (before and after an `await`), a connection handler, a namespace
//! middleware, and a disconnect handler that panics again while the connection closes.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::{Frame, Sio, WAIT, channel, fast, next, start};
use sockeye_server::{AckSender, ConnectError, DisconnectReason, SocketIo, SocketRef};

/// The sockets of `/` (0 once every connection has let go of its socket).
fn socket_count(io: &SocketIo) -> usize {
    io.sockets().sockets().len()
}

/// Waits until `/` has `n` sockets; fails after [`WAIT`].
async fn wait_for_sockets(io: &SocketIo, n: usize) {
    let start = tokio::time::Instant::now();
    while socket_count(io) != n {
        assert!(
            start.elapsed() < WAIT,
            "{} sockets, expected {n}",
            socket_count(io)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `echo` acks its argument; `boom` panics holding the ack; `boom-later` panics after an await.
fn handlers(socket: &SocketRef) {
    socket.on(
        "echo",
        |ack: AckSender, sockeye_server::Data(s): sockeye_server::Data<String>| {
            let _ = ack.send(&s);
        },
    );
    socket.on("boom", |_ack: AckSender| -> () { panic!("boom") });
    socket.on("boom-later", |_ack: AckSender| async move {
        tokio::task::yield_now().await;
        panic!("boom later");
    });
    let _ = socket.join("room");
}

/// The rest of the node answers: a new client's ack comes back.
async fn still_serving(addr: std::net::SocketAddr) {
    let mut other = Sio::connect(addr, "").await;
    other.send(r#"421["echo","still here"]"#).await;
    assert_eq!(other.recv().await, r#"431["still here"]"#);
}

/// The connection of `c` is closed by the server: `/` disconnected, then the transport.
async fn closed_by_server(c: &mut Sio) {
    assert_eq!(c.recv().await, "41");
    c.ws.expect_closed().await;
}

#[tokio::test]
async fn a_panicking_event_handler_closes_its_connection_only() {
    let (addr, io) = start(fast()).await;
    let (tx, mut reasons) = channel();
    io.ns("/", move |socket: SocketRef| {
        handlers(&socket);
        let tx = tx.clone();
        socket.on_disconnect(move |reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    for event in ["boom", "boom-later"] {
        let mut c = Sio::connect(addr, "").await;
        wait_for_sockets(&io, 1).await;
        // With an ack id: the handler owes an acknowledgement when it panics.
        c.send(&format!(r#"421["{event}"]"#)).await;
        closed_by_server(&mut c).await;
        assert_eq!(
            next(&mut reasons).await,
            DisconnectReason::ServerNamespaceDisconnect
        );
        wait_for_sockets(&io, 0).await;
        assert!(io.to("room").fetch_sockets().await.unwrap().is_empty());
    }
    still_serving(addr).await;
    // The owed acknowledgements were let go: a graceful close does not wait its whole grace.
    tokio::time::timeout(WAIT, io.close_gracefully(Duration::from_secs(60)))
        .await
        .expect("the server closes");
}

#[tokio::test]
async fn a_panicking_connection_handler_closes_its_connection_only() {
    let (addr, io) = start(fast()).await;
    io.ns("/", |socket: SocketRef| {
        handlers(&socket);
    });
    io.of("/fragile")
        .on_connection(|_socket: SocketRef| -> () { panic!("on connection") });
    let mut c = Sio::open(addr).await;
    c.send("40/fragile,").await;
    // Accepted first (the handlers run once the client is told), then closed.
    assert!(c.recv().await.starts_with("40/fragile,{"));
    assert_eq!(c.recv().await, "41/fragile,");
    c.ws.expect_closed().await;
    assert!(io.of("/fragile").sockets().is_empty());
    still_serving(addr).await;
    tokio::time::timeout(WAIT, io.close())
        .await
        .expect("the server closes");
}

#[tokio::test]
async fn a_panicking_middleware_closes_its_connection_only() {
    let (addr, io) = start(fast()).await;
    io.ns("/", |socket: SocketRef| {
        handlers(&socket);
    });
    io.of("/guarded")
        .use_middleware(|_socket: SocketRef| -> Result<(), ConnectError> { panic!("middleware") });
    let mut c = Sio::open(addr).await;
    c.send("40/guarded,").await;
    // The socket was never admitted: the Engine.IO session closes (`1`), then the WebSocket. In
    // time: the connect timeout (45 s) would close it too.
    tokio::time::timeout(WAIT, async {
        assert_eq!(c.ws.recv().await, Frame::Text("1".into()));
        c.ws.expect_closed().await;
    })
    .await
    .expect("closed at once");
    still_serving(addr).await;
    tokio::time::timeout(WAIT, io.close())
        .await
        .expect("the server closes");
}

#[tokio::test]
async fn a_disconnect_handler_that_panics_again_still_leaves_the_tables_clean() {
    let (addr, io) = start(fast()).await;
    io.ns("/", |socket: SocketRef| {
        handlers(&socket);
        socket.on_disconnecting(|| -> () { panic!("while disconnecting") });
    });
    let mut c = Sio::connect(addr, "").await;
    wait_for_sockets(&io, 1).await;
    c.send(r#"42["boom"]"#).await;
    c.ws.expect_closed().await;
    wait_for_sockets(&io, 0).await;
    assert!(io.to("room").fetch_sockets().await.unwrap().is_empty());
    still_serving(addr).await;
    tokio::time::timeout(WAIT, io.close())
        .await
        .expect("the server closes");
}
