//! Extractors: what a handler takes as its parameters, in any order, as axum's handlers and
//! socketioxide's do.
//!
//! | extractor | connection handlers and middlewares | event handlers | disconnect handlers |
//! |---|---|---|---|
//! | [`SocketRef`] | the socket | the socket | the socket |
//! | [`Data<T>`] | the CONNECT's auth object as `T` | the arguments as `T` | — |
//! | [`TryData<T>`] | as `Data`, with the error | as `Data`, with the error | — |
//! | [`AckSender`] | — | the acknowledgement | — |
//! | [`Event`] | — | the whole event | — |
//! | [`Args`] | — | the arguments as they came | — |
//! | [`Bin`] | — | the binary attachments | — |
//! | [`State<T>`] | state given to the builder | same | same |
//! | [`Extension<T>`] | the socket's extensions | same | same |
//! | [`DisconnectReason`] | — | — | why |
//!
//! `Data<T>` reads the arguments straight from the wire text with serde: a tuple takes one
//! argument per element, `()` none, anything else the first; binary attachments fill
//! `bytes::Bytes` (or any type serde reads bytes into) wherever they stood. When an extractor
//! fails (the arguments do not read as `T`, a `State` that was never given), the handler is not
//! called and the socket's [`on_error`](SocketRef::on_error) handlers get a
//! [`SocketError::Rejected`](crate::socket::SocketError::Rejected); take [`TryData<T>`] to handle
//! a bad payload yourself.
//!
//! `Extension<T>` reads the socket's [`extensions`](SocketRef::extensions), which start as a copy
//! of the HTTP request's: a value an axum or tower layer put in the request (an authenticated user
//! id, say) reaches every handler of the socket. Its middlewares may add more.
//!
//! ```no_run
//! use sockeye_server::extract::{AckSender, Data, Extension, State};
//! use sockeye_server::{SocketIo, SocketRef};
//!
//! #[derive(Clone)]
//! struct Db;
//! #[derive(Clone)]
//! struct UserId(u64);
//!
//! # fn run() {
//! let (_layer, io) = SocketIo::builder().with_state(Db).build_layer();
//! io.ns("/", |socket: SocketRef| {
//!     socket.on(
//!         "rename",
//!         |Data(name): Data<String>, Extension(user): Extension<UserId>, State(_db): State<Db>, ack: AckSender| {
//!             let _ = ack.send(&format!("user {} is now {name}", user.0));
//!         },
//!     );
//! });
//! # }
//! ```

use bytes::Bytes;
use proto::socket::args::de;
use serde::de::DeserializeOwned;

use crate::socketio::error::DataError;
pub use crate::socketio::event::{AckSender, Event};
pub use crate::socketio::io::socket::SocketRef;
pub use proto::socket::Args;
pub use proto::socket::server::DisconnectReason;

/// Why an extractor could not give its value; the handler is not called.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The arguments (or the auth object) do not read as the type asked for.
    #[error("the data does not read as {ty}: {error}")]
    Data {
        /// The type asked for.
        ty: &'static str,
        /// Why.
        error: DataError,
    },
    /// No state of this type was given to the builder ([`SocketIoBuilder::with_state`]).
    ///
    /// [`SocketIoBuilder::with_state`]: crate::SocketIoBuilder::with_state
    #[error("no state of type {0} was given to the server's builder")]
    State(&'static str),
    /// The socket has no extension of this type.
    #[error("the socket has no extension of type {0}")]
    Extension(&'static str),
}

/// What an event handler's extractors read.
#[derive(Debug)]
pub struct EventParts<'a> {
    pub(crate) socket: &'a SocketRef,
    pub(crate) name: &'a str,
    /// The packet's arguments; `first` says where the event's own start (after its name).
    pub(crate) args: &'a Args,
    pub(crate) first: usize,
    pub(crate) ack: &'a AckSender,
}

impl<'a> EventParts<'a> {
    /// The socket.
    pub fn socket(&self) -> &'a SocketRef {
        self.socket
    }

    /// The event's name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The arguments as a `T` (see [`Data`]).
    pub fn data<T: serde::Deserialize<'a>>(&self) -> Result<T, DataError> {
        match self.first {
            0 => de::from_args(self.args),
            _ => de::from_event_args(self.args),
        }
    }

    /// The arguments as they came, without the name.
    pub fn args(&self) -> Args {
        match self.first {
            0 => self.args.clone(),
            _ => self.args.without_first(),
        }
    }

    /// The acknowledgement.
    pub fn ack(&self) -> &'a AckSender {
        self.ack
    }
}

/// What a connection handler's or a namespace middleware's extractors read.
#[derive(Debug)]
pub struct ConnectParts<'a> {
    pub(crate) socket: &'a SocketRef,
}

impl<'a> ConnectParts<'a> {
    /// The socket.
    pub fn socket(&self) -> &'a SocketRef {
        self.socket
    }
}

/// What a disconnect handler's extractors read.
#[derive(Debug)]
pub struct DisconnectParts<'a> {
    pub(crate) socket: &'a SocketRef,
    pub(crate) reason: DisconnectReason,
}

impl<'a> DisconnectParts<'a> {
    /// The socket.
    pub fn socket(&self) -> &'a SocketRef {
        self.socket
    }

    /// Why it disconnected.
    pub fn reason(&self) -> DisconnectReason {
        self.reason
    }
}

/// A value an event handler can take.
pub trait FromEventParts: Sized {
    /// The value, or why there is none.
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection>;
}

/// A value a connection handler or a namespace middleware can take.
pub trait FromConnectParts: Sized {
    /// The value, or why there is none.
    fn from_connect_parts(parts: &ConnectParts<'_>) -> Result<Self, Rejection>;
}

/// A value a disconnect handler can take.
pub trait FromDisconnectParts: Sized {
    /// The value, or why there is none.
    fn from_disconnect_parts(parts: &DisconnectParts<'_>) -> Result<Self, Rejection>;
}

// ---- the socket ----

impl FromEventParts for SocketRef {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.socket.clone())
    }
}

impl FromConnectParts for SocketRef {
    fn from_connect_parts(parts: &ConnectParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.socket.clone())
    }
}

impl FromDisconnectParts for SocketRef {
    fn from_disconnect_parts(parts: &DisconnectParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.socket.clone())
    }
}

// ---- data ----

/// The event's arguments (or, for a connection handler or middleware, the CONNECT's auth object)
/// read as `T`; see the [module docs](self). When they do not read as `T`, the handler is not
/// called.
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T>(pub T);

/// As [`Data`], with the error instead of a skipped handler.
#[derive(Debug, Clone, PartialEq)]
pub struct TryData<T>(pub Result<T, DataError>);

fn rejected<T>(error: DataError) -> Rejection {
    Rejection::Data {
        ty: std::any::type_name::<T>(),
        error,
    }
}

impl<T: DeserializeOwned> FromEventParts for Data<T> {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        parts.data().map(Data).map_err(rejected::<T>)
    }
}

impl<T: DeserializeOwned> FromEventParts for TryData<T> {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(TryData(parts.data()))
    }
}

impl<T: DeserializeOwned> FromConnectParts for Data<T> {
    fn from_connect_parts(parts: &ConnectParts<'_>) -> Result<Self, Rejection> {
        parts
            .socket
            .handshake()
            .auth()
            .map(Data)
            .map_err(rejected::<T>)
    }
}

impl<T: DeserializeOwned> FromConnectParts for TryData<T> {
    fn from_connect_parts(parts: &ConnectParts<'_>) -> Result<Self, Rejection> {
        Ok(TryData(parts.socket.handshake().auth()))
    }
}

/// The event's binary attachments, in the order their placeholders number them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin(pub Vec<Bytes>);

impl FromEventParts for Bin {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(Bin(parts
            .args
            .attachments()
            .iter()
            .map(|a| Bytes::copy_from_slice(a))
            .collect()))
    }
}

impl FromEventParts for Args {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.args())
    }
}

impl FromEventParts for Event {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(Event::new(
            parts.name.to_owned(),
            parts.args(),
            parts.ack.clone(),
        ))
    }
}

impl FromEventParts for AckSender {
    fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.ack.clone())
    }
}

impl FromDisconnectParts for DisconnectReason {
    fn from_disconnect_parts(parts: &DisconnectParts<'_>) -> Result<Self, Rejection> {
        Ok(parts.reason)
    }
}

// ---- state and extensions ----

/// State given to the builder ([`SocketIoBuilder::with_state`]), by type.
///
/// [`SocketIoBuilder::with_state`]: crate::SocketIoBuilder::with_state
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State<T>(pub T);

/// A value of the socket's [`extensions`](SocketRef::extensions) (which start as the HTTP
/// request's), by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<T>(pub T);

fn state<T: Clone + Send + Sync + 'static>(socket: &SocketRef) -> Result<State<T>, Rejection> {
    socket
        .namespace()
        .state::<T>()
        .map(State)
        .ok_or(Rejection::State(std::any::type_name::<T>()))
}

fn extension<T: Clone + Send + Sync + 'static>(
    socket: &SocketRef,
) -> Result<Extension<T>, Rejection> {
    socket
        .extensions()
        .get::<T>()
        .cloned()
        .map(Extension)
        .ok_or(Rejection::Extension(std::any::type_name::<T>()))
}

macro_rules! from_all_parts {
    ($($ty:ident => $get:ident),*) => {$(
        impl<T: Clone + Send + Sync + 'static> FromEventParts for $ty<T> {
            fn from_event_parts(parts: &EventParts<'_>) -> Result<Self, Rejection> {
                $get(parts.socket)
            }
        }

        impl<T: Clone + Send + Sync + 'static> FromConnectParts for $ty<T> {
            fn from_connect_parts(parts: &ConnectParts<'_>) -> Result<Self, Rejection> {
                $get(parts.socket)
            }
        }

        impl<T: Clone + Send + Sync + 'static> FromDisconnectParts for $ty<T> {
            fn from_disconnect_parts(parts: &DisconnectParts<'_>) -> Result<Self, Rejection> {
                $get(parts.socket)
            }
        }
    )*};
}
from_all_parts!(State => state, Extension => extension);
