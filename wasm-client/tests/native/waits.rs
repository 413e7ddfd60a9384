//! Waiting for what the native client's tests expect, each wait bounded by [`PATIENCE`]: shared by
//! tests/native.rs, native_api.rs and native_msgpack.rs.
#![allow(dead_code, reason = "each test file uses a part")]

use std::pin::Pin;
use std::time::Duration;

use sockeye_client::{Args, Events, IntoPayload, Socket, SocketEvent, Stream};

/// How long any one awaited event may take.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// The next event of `events` (a socket's or a manager's stream) that `f` picks, skipping others.
pub(crate) async fn next<S, T>(
    events: &mut S,
    what: &str,
    mut f: impl FnMut(S::Item) -> Option<T>,
) -> T
where
    S: Stream + Unpin,
{
    let wait = async {
        loop {
            let event = std::future::poll_fn(|cx| Pin::new(&mut *events).poll_next(cx))
                .await
                .expect("the connection is gone");
            if let Some(found) = f(event) {
                return found;
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}"))
}

/// The socket's next connection; a refused one fails the test.
pub(crate) async fn connected(events: &mut Events) {
    next(events, "connect", |e| match e {
        SocketEvent::Connect => Some(()),
        SocketEvent::ConnectError(e) => panic!("connect_error: {e:?}"),
        _ => None,
    })
    .await;
}

/// The arguments of the next event called `name`.
pub(crate) async fn event_named(events: &mut Events, name: &str) -> Args {
    next(events, name, |e| match e {
        SocketEvent::Event { name: n, args } if n == name => Some(args),
        _ => None,
    })
    .await
}

/// Emits `event` and reads its acknowledgement as `R`.
pub(crate) async fn ack<R: serde::de::DeserializeOwned>(
    socket: &Socket,
    event: &str,
    payload: impl IntoPayload,
) -> R {
    tokio::time::timeout(PATIENCE, socket.emit_with_ack::<R>(event, payload))
        .await
        .unwrap_or_else(|_| panic!("no ack of {event}"))
        .unwrap()
}
