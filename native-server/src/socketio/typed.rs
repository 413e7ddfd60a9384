//! Typed events: the server's side of an event schema ([`sockeye_core::schema`](mod@proto::schema),
//! re-exported as [`crate::schema`](mod@crate::schema)). The event is named by its marker value, so that every
//! type is inferred from it: a handler takes exactly the event's arguments and returns its
//! acknowledgement, and an emit takes exactly its arguments.
//!
//! ```no_run
//! use sockeye_server::{SocketIo, SocketRef};
//!
//! sockeye_server::schema! {
//!     pub struct Chat;
//!     client_to_server {
//!         Message = "message" (text: String) -> (count: u32);
//!         Typing = "typing" (active: bool);
//!     }
//!     server_to_client {
//!         Said = "said" (user: String, text: String);
//!         Ask = "ask" (question: String) -> (answer: String);
//!     }
//! }
//!
//! # fn run(io: SocketIo) {
//! io.ns("/", |socket: SocketRef| {
//!     // The handler's return value is the acknowledgement: it cannot be forgotten.
//!     socket.on_typed(Message, |socket, text| {
//!         let _ = socket.broadcast().emit_typed(Said, &(socket.id().to_owned(), text));
//!         1
//!     });
//!     socket.on_typed(Typing, |_socket, _active| {});
//!     socket.on_typed_async(Message, |socket, _text| async move {
//!         // An event with an acknowledgement is emitted with `_with_ack` only.
//!         socket.emit_typed_with_ack(Ask, &"why?".to_owned()).await.map_or(0, |a| a.len() as u32)
//!     });
//! });
//! # }
//! ```
//!
//! Arguments that do not read as the event's type reject the event as for
//! [`Data`](crate::extract::Data) (the socket's [`on_error`](SocketRef::on_error) handlers hear
//! of it); the acknowledgement is sent when the client asked for one.

use std::future::Future;

use proto::schema::{ClientToServer, Event, NoAck, ServerToClient, WithAck};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::socketio::emitter::SocketEmitter;
use crate::socketio::error::{AckError, BroadcastAckError, EmitError};
use crate::socketio::event::AckSender;
use crate::socketio::io::extract::Data;
use crate::socketio::io::socket::{HandlerId, SocketRef};
use crate::socketio::io::{Namespace, SocketIo};
use crate::socketio::operators::BroadcastOperator;

/// Answers an event of `E` with its handler's result, when `E` has an acknowledgement.
fn answer<E: Event>(ack: &AckSender, reply: &E::Ack)
where
    E::Ack: Serialize,
{
    if E::ACK
        && let Err(e) = ack.send(reply)
    {
        tracing::debug!(event = E::NAME, "acknowledgement not sent: {e}");
    }
}

impl SocketRef {
    /// Calls `handler` with each `event` from the client, its arguments read as the event's
    /// [`Args`](Event::Args); what it returns is the acknowledgement ([`Event::Ack`], `()` for an
    /// event without one). Runs on the connection's task, as a plain [`on`](SocketRef::on)
    /// handler does.
    pub fn on_typed<E>(
        &self,
        event: E,
        handler: impl Fn(SocketRef, E::Args) -> E::Ack + Send + Sync + 'static,
    ) -> HandlerId
    where
        E: ClientToServer,
        E::Args: DeserializeOwned,
        E::Ack: Serialize,
    {
        let _ = event;
        self.on(
            E::NAME,
            move |socket: SocketRef, Data(args): Data<E::Args>, ack: AckSender| {
                answer::<E>(&ack, &handler(socket, args));
            },
        )
    }

    /// [`on_typed`](SocketRef::on_typed) with an `async` handler: the acknowledgement is what
    /// its future resolves to.
    pub fn on_typed_async<E, Fut>(
        &self,
        event: E,
        handler: impl Fn(SocketRef, E::Args) -> Fut + Send + Sync + 'static,
    ) -> HandlerId
    where
        E: ClientToServer,
        E::Args: DeserializeOwned,
        E::Ack: Serialize,
        Fut: Future<Output = E::Ack> + Send + 'static,
    {
        let _ = event;
        self.on(
            E::NAME,
            move |socket: SocketRef, Data(args): Data<E::Args>, ack: AckSender| {
                let reply = handler(socket, args);
                async move { answer::<E>(&ack, &reply.await) }
            },
        )
    }

    /// Emits `event` to this client with `args`; only for an event without an acknowledgement
    /// (see [`emit_typed_with_ack`](SocketRef::emit_typed_with_ack)).
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), EmitError>
    where
        E: ServerToClient + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }

    /// Emits `event` to this client and waits for its acknowledgement, read as the event's
    /// [`Ack`](Event::Ack).
    pub async fn emit_typed_with_ack<E>(&self, event: E, args: &E::Args) -> Result<E::Ack, AckError>
    where
        E: ServerToClient + WithAck,
        E::Args: Serialize,
        E::Ack: DeserializeOwned,
    {
        let _ = event;
        self.emit_with_ack(E::NAME, args).await
    }
}

impl SocketEmitter {
    /// [`SocketRef::emit_typed`] with this emitter's flags.
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), EmitError>
    where
        E: ServerToClient + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }

    /// [`SocketRef::emit_typed_with_ack`] with this emitter's flags (its timeout).
    pub async fn emit_typed_with_ack<E>(&self, event: E, args: &E::Args) -> Result<E::Ack, AckError>
    where
        E: ServerToClient + WithAck,
        E::Args: Serialize,
        E::Ack: DeserializeOwned,
    {
        let _ = event;
        self.emit_with_ack(E::NAME, args).await
    }
}

impl BroadcastOperator {
    /// Emits `event` to the selected sockets with `args`; only for an event without an
    /// acknowledgement.
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), EmitError>
    where
        E: ServerToClient + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }

    /// Emits `event` to the selected sockets and collects their acknowledgements, each read as
    /// the event's [`Ack`](Event::Ack) (see [`BroadcastOperator::emit_with_ack`]).
    pub async fn emit_typed_with_ack<E>(
        &self,
        event: E,
        args: &E::Args,
    ) -> Result<Vec<E::Ack>, BroadcastAckError>
    where
        E: ServerToClient + WithAck,
        E::Args: Serialize,
        E::Ack: DeserializeOwned,
    {
        let _ = event;
        self.emit_with_ack(E::NAME, args).await
    }
}

impl Namespace {
    /// Emits `event` to every socket of the namespace (see [`BroadcastOperator::emit_typed`]).
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), EmitError>
    where
        E: ServerToClient + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }
}

impl SocketIo {
    /// Emits `event` to every socket of the main namespace (see
    /// [`BroadcastOperator::emit_typed`]).
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), EmitError>
    where
        E: ServerToClient + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }
}
