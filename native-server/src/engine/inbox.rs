//! A session's inbox: the one channel its task reads, carrying the Engine.IO layer's messages
//! (HTTP requests, the transport's and the session's ends) and its application's commands, in
//! the order they were sent.
//!
//! The application's commands travel as they are (`C`, the application's choice: Socket.IO keeps
//! a broadcast's delivery, the one message a session may get for every packet of a busy room,
//! unboxed); the Engine.IO messages are boxed, as they are seldom and large. Senders of the
//! layer below the application hold a [`SessionTx`], which knows nothing of `C`.

use hyper_util::rt::TokioIo;
use proto::engine::server::{PollPayload, RequestError};
use tokio::sync::mpsc::error::SendError;
use tokio::sync::oneshot;

use super::channel;
use super::websocket::WebSocket;

/// The WebSocket type sessions run on.
pub(crate) type WsStream = WebSocket<TokioIo<hyper::upgrade::Upgraded>>;

/// What the Engine.IO layer tells a session task.
pub(crate) enum SessionMsg {
    /// A polling GET; the reply is its payload or the error to answer.
    PollGet {
        id: u64,
        reply: oneshot::Sender<Result<PollPayload, RequestError>>,
    },
    /// The GET `id`'s client went away.
    PollGetAborted { id: u64 },
    /// A POST's headers.
    PollPostStart {
        octet_stream: bool,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A POST's body.
    PollPost {
        body: String,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// The POST's client went away before its body was read.
    PollPostAborted,
    /// A WebSocket request for this session (the upgrade probe); `Ok` answers 101.
    WsProbe {
        id: u64,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// The probe's WebSocket, once upgraded.
    WsAttach { id: u64, ws: Box<WsStream> },
    /// The probe's upgrade failed after the 101.
    WsAttachFailed { id: u64 },
    /// `socket.conn.close()`: drop the transport.
    CloseTransport,
    /// Close from the server's side, with goodbyes (`socket.disconnect(true)`, a handler that
    /// panicked, the bare engine's `socket.close()`).
    Close,
    /// The server is shutting down (`io.close()`).
    Shutdown,
}

/// What the channel carries.
pub(crate) enum Slot<C> {
    App(C),
    Engine(Box<SessionMsg>),
}

impl<C> From<SessionMsg> for Slot<C> {
    fn from(msg: SessionMsg) -> Self {
        Slot::Engine(Box::new(msg))
    }
}

/// What a session task received.
pub(crate) enum Received<C> {
    App(C),
    Engine(SessionMsg),
}

/// Sends Engine.IO messages to a session, whatever its application: the session table's and
/// the HTTP requests' sender.
#[derive(Clone)]
pub(crate) struct SessionTx(channel::ErasedSender<SessionMsg>);

impl SessionTx {
    /// Sends `msg` to the session; gives it back when the session is over.
    #[allow(
        clippy::result_large_err,
        reason = "the message comes back only from a session that is over"
    )]
    pub(crate) fn send(&self, msg: SessionMsg) -> Result<(), SendError<SessionMsg>> {
        self.0.send(msg)
    }
}

/// The application's sender: its commands `C`, and Engine.IO messages.
pub(crate) struct AppTx<C>(channel::Sender<Slot<C>>);

impl<C> Clone for AppTx<C> {
    fn clone(&self) -> Self {
        AppTx(self.0.clone())
    }
}

impl<C: Send + 'static> AppTx<C> {
    /// Sends a command; gives it back when the session is over.
    pub(crate) fn send(&self, cmd: C) -> Result<(), SendError<C>> {
        self.0
            .send(Slot::App(cmd))
            .map_err(|SendError(slot)| match slot {
                Slot::App(cmd) => SendError(cmd),
                Slot::Engine(_) => unreachable!("the channel gives back the message it was given"),
            })
    }

    /// Sends an Engine.IO message; `false` when the session is over.
    pub(crate) fn send_engine(&self, msg: SessionMsg) -> bool {
        self.0.send(Slot::from(msg)).is_ok()
    }

    /// A sender of Engine.IO messages to this session.
    pub(crate) fn session(&self) -> SessionTx {
        SessionTx(self.0.erased())
    }
}

/// The receiving side of a session's channel.
pub(crate) struct SessionRx<C>(channel::Receiver<Slot<C>>);

impl<C> SessionRx<C> {
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Received<C>>> {
        self.0.poll_recv(cx).map(|slot| {
            slot.map(|slot| match slot {
                Slot::App(cmd) => Received::App(cmd),
                Slot::Engine(msg) => Received::Engine(*msg),
            })
        })
    }
}

/// A session's channel.
pub(crate) fn session_channel<C>() -> (AppTx<C>, SessionRx<C>) {
    let (tx, rx) = channel::unbounded();
    (AppTx(tx), SessionRx(rx))
}

/// What closes a session whose handler panicked past its first `await`.
pub(crate) trait CloseOnPanic: Send + 'static {
    /// Asks the session to close (goodbyes included).
    fn close_session(&self);
}

impl CloseOnPanic for SessionTx {
    fn close_session(&self) {
        let _ = self.send(SessionMsg::Close);
    }
}

impl<C: Send + 'static> CloseOnPanic for AppTx<C> {
    fn close_session(&self) {
        self.send_engine(SessionMsg::Close);
    }
}
