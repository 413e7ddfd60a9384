//! Typed events: the client's side of an event schema (`sockeye_core::schema`), the mirror of
//! the server's (`sockeye-server`'s `on_typed`, `emit_typed`). The event is named by its
//! marker value, so every type is inferred from it: a client emits only the schema's
//! client-to-server events with exactly their arguments, an acknowledged one only with
//! [`Socket::emit_typed_with_ack`], which resolves to its acknowledgement's type, and it
//! listens only to server-to-client events, its handler returning the acknowledgement.
//!
//! ```no_run
//! # use proto as sockeye_core;
//! use sockeye_client::{Options, Socket};
//!
//! // In the crate the server and the client share:
//! sockeye_core::schema! {
//!     pub struct Chat;
//!     client_to_server { Message = "message" (text: String) -> (count: u32); }
//!     server_to_client { Said = "said" (user: String, text: String); }
//! }
//!
//! // In the client:
//! # async fn run() -> Result<(), sockeye_client::Error> {
//! let socket = Socket::connect("https://chat.example.com/", Options::default())?;
//! let _said = socket.on_typed(Said, |(user, text)| log(&user, &text));
//! let count: u32 = socket.emit_typed_with_ack(Message, &"hello".to_owned()).await?;
//! # let _ = count; Ok(()) }
//! # fn log(_: &str, _: &str) {}
//! ```

use core::time::Duration;

use proto::schema::{ClientToServer, NoAck, ServerToClient, WithAck};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Error, MaybeSend, Socket, Subscription};

impl Socket {
    /// Emits `event` with `args`; only for an event without an acknowledgement (see
    /// [`Socket::emit_typed_with_ack`]).
    pub fn emit_typed<E>(&self, event: E, args: &E::Args) -> Result<(), Error>
    where
        E: ClientToServer + NoAck,
        E::Args: Serialize,
    {
        let _ = event;
        self.emit(E::NAME, args)
    }

    /// Emits `event` with `args` and resolves with the server's acknowledgement, read as the
    /// event's `Ack`.
    pub async fn emit_typed_with_ack<E>(&self, event: E, args: &E::Args) -> Result<E::Ack, Error>
    where
        E: ClientToServer + WithAck,
        E::Args: Serialize,
        E::Ack: DeserializeOwned,
    {
        let _ = event;
        self.emit_with_ack(E::NAME, args).await
    }

    /// As [`Socket::emit_typed_with_ack`], failing with `AckError::Timeout` after `timeout`.
    pub async fn emit_typed_with_ack_timeout<E>(
        &self,
        event: E,
        args: &E::Args,
        timeout: Duration,
    ) -> Result<E::Ack, Error>
    where
        E: ClientToServer + WithAck,
        E::Args: Serialize,
        E::Ack: DeserializeOwned,
    {
        let _ = event;
        self.emit_with_ack_timeout(E::NAME, args, timeout).await
    }

    /// Calls `handler` with each `event`'s arguments, read as the event's `Args`; what it
    /// returns is the acknowledgement (`()` for an event without one), sent when the server asked
    /// for one. An event whose arguments do not read as `Args` does not call it: as with
    /// [`Socket::on`], the socket's event streams get a
    /// [`SocketEvent::InvalidPayload`](super::SocketEvent::InvalidPayload) instead.
    pub fn on_typed<E>(
        &self,
        event: E,
        mut handler: impl FnMut(E::Args) -> E::Ack + MaybeSend + 'static,
    ) -> Subscription
    where
        E: ServerToClient,
        E::Args: DeserializeOwned,
        E::Ack: Serialize,
    {
        let _ = event;
        let reporter = self.reporter();
        self.on_event(E::NAME, move |e| {
            if let Some(args) = reporter.decode::<E::Args>(e) {
                let reply = handler(args);
                if E::ACK {
                    // Fails only when the connection is gone: nobody waits for it then.
                    let _ = e.ack(&reply);
                }
            }
        })
    }
}
