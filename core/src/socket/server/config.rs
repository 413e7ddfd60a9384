//! The per-connection settings and their bounds.

use core::time::Duration;

#[cfg(doc)]
use crate::socket::codec::DecodeError;
use crate::socket::codec::Limits;
use crate::socket::codec::Parser;

/// The server's per-connection settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Close the engine if no namespace is joined by then (the reference's `connectTimeout`, 45000 ms).
    pub connect_timeout: Duration,
    /// Bounds for decoding the client's packets (attachments per packet, JSON depth).
    pub limits: Limits,
    /// How packets travel (the reference's `parser` option): JSON text and attachments (the
    /// default), or MessagePack. The client must use the same.
    pub parser: Parser,
    /// Namespaces one connection may have joined or be joining at once (64). A CONNECT over the bound
    /// is answered with CONNECT_ERROR `{"message":"Too many namespaces"}`; the connection stays up.
    pub max_namespaces: usize,
    /// Acks one socket may await at once (1024). [`Connection::emit`](super::Connection::emit) with an ack
    /// over the bound fails with
    /// [`UsageError::TooManyPendingAcks`](super::UsageError::TooManyPendingAcks) and sends nothing.
    pub max_pending_acks: usize,
    /// How long a binary packet may wait for its attachments, counted from its header (60 s; not in
    /// the reference, which waits as long as the connection lives). Past it the connection closes as
    /// on a packet the codec refuses, with [`DecodeError::AttachmentsTimeout`].
    pub attachments_timeout: Duration,
    /// Refused CONNECTs (by [`Connection::reject`](super::Connection::reject) or over `max_namespaces`) one
    /// connection may have in a burst (10); one more is allowed every `refused_connect_interval`. A
    /// CONNECT arriving while the budget is spent closes the connection (`forced server close`)
    /// without asking the server: a client cannot try an auth middleware at wire speed on one
    /// connection. Not in the reference.
    pub max_refused_connects: u32,
    /// How often one refused CONNECT is forgiven (1 s); see `max_refused_connects`.
    pub refused_connect_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_millis(45_000),
            limits: Limits::default(),
            parser: Parser::Json,
            max_namespaces: 64,
            max_pending_acks: 1024,
            attachments_timeout: Duration::from_secs(60),
            max_refused_connects: 10,
            refused_connect_interval: Duration::from_secs(1),
        }
    }
}
