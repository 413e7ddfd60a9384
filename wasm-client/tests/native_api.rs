//! The typed API's handler and stream semantics, natively against sockeye-server in this process:
//! subscriptions and their guards, `once` and `on_any`, undecodable payloads reported, auth
//! evaluated on each connection, weak handles in handlers, bounded streams. Every wait is on an
//! event, with a timeout; none sleeps.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

#[path = "native/servers.rs"]
#[allow(
    dead_code,
    reason = "the TLS and Node.js servers serve tests/native.rs"
)]
mod servers;
#[path = "native/waits.rs"]
mod waits;

use std::time::Duration;

use serde_json::{Value, json};
use sockeye_client::{Events, Manager, Options, Overflow, Socket, SocketEvent};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use waits::{PATIENCE, connected, next};

fn options() -> Options {
    Options::default()
        .auto_connect(false)
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(200))
}

/// A connected socket of namespace `/` on a manager of its own, and its event stream.
async fn connect(url: &str, options: Options) -> (Socket, Events) {
    let socket = Socket::connect(url, options).unwrap();
    let mut events = socket.events();
    socket.open();
    connected(&mut events).await;
    (socket, events)
}

/// Emits `echo` with `arg` (the server emits it back), then waits for an acknowledgement that
/// comes after it: every handler of the echoed event has run by then.
async fn echo(socket: &Socket, arg: Value) {
    socket.emit("echo", &arg).unwrap();
    let barrier = socket.emit_with_ack::<Value>("whoami", &());
    tokio::time::timeout(PATIENCE, barrier)
        .await
        .expect("no acknowledgement")
        .unwrap();
}

/// What the handlers reported so far.
fn seen(rx: &mut UnboundedReceiver<(&'static str, Value)>) -> Vec<(&'static str, Value)> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// `on` stays while its subscription is kept, `once` runs once, `on_any` sees every event after
/// the named handlers, `forget` keeps a handler and `off` removes it by id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_remove_their_handlers_when_dropped() {
    let s = servers::sockeye(None).await;
    let (socket, _events) = connect(&s.url, options()).await;
    let (tx, mut rx) = unbounded_channel();
    let on = {
        let tx = tx.clone();
        socket.on("echo", move |v: Value| tx.send(("on", v)).unwrap())
    };
    let once = {
        let tx = tx.clone();
        socket.once("echo", move |v: Value| tx.send(("once", v)).unwrap())
    };
    let any = socket.on_any(move |e| {
        let _ = tx.send(("any", json!([e.name(), e.data::<Value>().unwrap()])));
    });

    echo(&socket, json!(1)).await;
    assert_eq!(
        seen(&mut rx),
        [
            ("on", json!(1)),
            ("once", json!(1)),
            ("any", json!(["echo", 1]))
        ]
    );

    echo(&socket, json!(2)).await;
    assert_eq!(
        seen(&mut rx),
        [("on", json!(2)), ("any", json!(["echo", 2]))]
    );
    drop(once);

    drop(on);
    echo(&socket, json!(3)).await;
    assert_eq!(seen(&mut rx), [("any", json!(["echo", 3]))]);

    let id = any.forget();
    echo(&socket, json!(4)).await;
    assert_eq!(seen(&mut rx), [("any", json!(["echo", 4]))]);
    socket.off(id);
    echo(&socket, json!(5)).await;
    assert_eq!(seen(&mut rx), []);
}

/// An event whose arguments do not read as a typed handler's type is reported on the socket's
/// streams, once per such handler, rather than silently skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_payloads_are_reported() {
    let s = servers::sockeye(None).await;
    let (socket, mut events) = connect(&s.url, options()).await;
    let (tx, mut rx) = unbounded_channel();
    let _numbers = socket.on("echo", move |n: u32| tx.send(("on", json!(n))).unwrap());

    echo(&socket, json!("seven")).await;
    assert_eq!(seen(&mut rx), []);
    let (args, error) = next(&mut events, "invalid_payload", |e| match e {
        SocketEvent::InvalidPayload { event, args, error } if event == "echo" => {
            Some((args, error))
        }
        _ => None,
    })
    .await;
    assert_eq!(args.data::<String>().unwrap(), "seven");
    assert!(error.to_string().contains("string"), "{error}");

    // A valid one is no error.
    echo(&socket, json!(7)).await;
    assert_eq!(seen(&mut rx), [("on", json!(7))]);
    next(&mut events, "echo", |e| match e {
        SocketEvent::Event { name, .. } if name == "echo" => Some(()),
        SocketEvent::InvalidPayload { .. } => panic!("{e:?}"),
        _ => None,
    })
    .await;
}

/// The CONNECT's auth payload as the server read it (its `whoami` answer tells).
async fn auth_seen(socket: &Socket) -> Value {
    let who: Value = waits::ack(socket, "whoami", &()).await;
    who["auth"].clone()
}

/// `auth_with`'s closure is called on each connection, so a reconnection sends a fresh token;
/// one that returns no object is a `connect_error`, not a panic nor a silent hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_is_evaluated_on_each_connection() {
    let s = servers::sockeye(None).await;
    let mut token = 0;
    let refreshing = options().auth_with(move || {
        token += 1;
        json!({ "token": token })
    });
    let (socket, mut events) = connect(&s.url, refreshing).await;
    assert_eq!(auth_seen(&socket).await, json!({ "token": 1 }));
    // The server closes the connection; the manager reconnects.
    socket.emit("drop", &()).unwrap();
    connected(&mut events).await;
    assert_eq!(auth_seen(&socket).await, json!({ "token": 2 }));

    // `()` is no payload.
    let (socket, _events) = connect(&s.url, options().auth_with(|| ())).await;
    assert_eq!(auth_seen(&socket).await, json!({}));

    // Not an object.
    let socket = Socket::connect(&s.url, options().auth_with(|| 5)).unwrap();
    let mut events = socket.events();
    socket.open();
    let error = next(&mut events, "connect_error", |e| match e {
        SocketEvent::ConnectError(e) => Some(e),
        SocketEvent::Connect => panic!("connected"),
        _ => None,
    })
    .await;
    assert!(error.message.contains("object"), "{error:?}");
    assert!(!socket.connected());
}

/// A handler that captures a `WeakSocket` does not keep the connection open: once the
/// application drops its handles, the server hears the client leave, and the weak handle no
/// longer upgrades. While they live, it upgrades to the same socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_with_a_weak_socket_does_not_keep_the_connection_open() {
    let mut s = servers::sockeye(None).await;
    let mut watch = s.watch.take().unwrap();
    let manager = Manager::new(&s.url, options()).unwrap();
    let socket = manager.socket("/watch").unwrap();
    let mut events = socket.events();
    socket.open();
    connected(&mut events).await;

    let weak = socket.downgrade();
    assert_eq!(weak.upgrade().as_ref(), Some(&socket));
    let captured = weak.clone();
    socket
        .on("never", move |_: Value| {
            if let Some(socket) = captured.upgrade() {
                socket.disconnect();
            }
        })
        .forget();

    drop((manager, socket));
    let reason = tokio::time::timeout(PATIENCE, watch.recv())
        .await
        .expect("the server saw no disconnection: the handler kept the connection open")
        .unwrap();
    assert!(
        ["ClientNamespaceDisconnect", "TransportClose"].contains(&reason.as_str()),
        "{reason}"
    );
    assert!(weak.upgrade().is_none());
}

/// A stream holds at most its capacity of unread events; when full, its policy drops the oldest
/// or the newest, and it counts what it dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_bounded_by_a_named_policy() {
    let s = servers::sockeye(None).await;
    let (socket, events) = connect(&s.url, options()).await;
    let mut oldest = socket.events_with(3, Overflow::DropOldest);
    let mut newest = socket.events_with(3, Overflow::DropNewest);
    for n in 1..=5 {
        socket.emit("echo", &n).unwrap();
    }
    echo(&socket, json!(6)).await;

    async fn echoed(events: &mut Events) -> Vec<u32> {
        let mut all = Vec::new();
        for _ in 0..3 {
            match events.next().await.unwrap() {
                SocketEvent::Event { name, args } if name == "echo" => {
                    all.push(args.data().unwrap());
                }
                other => panic!("{other:?}"),
            }
        }
        all
    }
    assert_eq!(echoed(&mut oldest).await, [4, 5, 6]);
    assert_eq!(oldest.dropped(), 3);
    assert_eq!(echoed(&mut newest).await, [1, 2, 3]);
    assert_eq!(newest.dropped(), 3);
    // The default stream holds them all.
    assert_eq!(events.dropped(), 0);
}

/// The new handles move between tasks as the others do.
#[test]
fn the_guards_and_weak_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<sockeye_client::Subscription>();
    send_sync::<sockeye_client::WeakSocket>();
    send_sync::<Events>();
    send_sync::<Options>();
}
