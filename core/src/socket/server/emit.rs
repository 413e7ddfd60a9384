//! What the server sends: an emit, an event encoded once for many connections, and the checks
//! its JSON passes first.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::UsageError;
use crate::engine::Message;
use crate::json::{JsonError, JsonErrorKind};
use crate::socket::args::Args;
use crate::socket::codec::Parser;
use crate::socket::packet::{Nsp, Packet, RESERVED_EVENTS};

/// How deep the JSON this end sends may nest. Only caller-built JSON is checked against it; the
/// bound keeps the check's cost and stack use fixed.
pub(super) const OUTGOING_MAX_DEPTH: usize = 128;

/// An event to send to one socket: its arguments `["name", ...]` and what goes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emit {
    pub(super) args: Args,
    /// `Some(timeout)` when an ack is wanted; the inner `None` waits as long as the socket lives.
    pub(super) ack: Option<Option<Duration>>,
    pub(super) offset: Option<String>,
    pub(super) compress: bool,
}

impl Emit {
    /// An event without ack or offset; `args` is `["name", ...]` (BINARY_EVENT when it has
    /// attachments).
    pub fn new(args: Args) -> Self {
        Emit {
            args,
            ack: None,
            offset: None,
            compress: true,
        }
    }

    /// The `compress` flag (the reference's `socket.compress(false)`; on by default). The
    /// socket layer only carries it: [`crate::server::Connection`] hands it to the engine
    /// session with the event's messages.
    #[must_use]
    pub fn with_compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// The `compress` flag.
    pub fn compress(&self) -> bool {
        self.compress
    }

    /// Asks for an acknowledgement, failing with [`AckError::Timeout`](super::AckError::Timeout)
    /// after `timeout` (the reference's `socket.timeout(ms).emit(.., cb)`), or never timing out
    /// with `None`.
    #[must_use]
    pub fn with_ack(mut self, timeout: Option<Duration>) -> Self {
        self.ack = Some(timeout);
        self
    }

    /// The connection state recovery offset of this event, appended as a trailing string argument,
    /// unless an ack is asked for (it would shift the client's ack callback).
    #[must_use]
    pub fn with_offset(mut self, offset: impl Into<String>) -> Self {
        self.offset = Some(offset.into());
        self
    }
}

/// An EVENT encoded once for many receivers (a broadcast without acks), handed to each receiving
/// connection's [`Connection::send_encoded`](super::Connection::send_encoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub(super) nsp: Nsp,
    pub(super) parser: Parser,
    pub(super) messages: Vec<Message>,
    pub(super) compress: bool,
}

impl Encoded {
    /// Checks and encodes an EVENT on `nsp` with `parser` (the receivers' connections must use
    /// the same); `offset`, if any, is appended as the last argument. Broadcasts that want acks
    /// are sent per socket with [`Connection::emit`](super::Connection::emit), since ack ids are
    /// per socket.
    pub fn event(
        parser: Parser,
        nsp: &Nsp,
        args: Args,
        offset: Option<&str>,
    ) -> Result<Encoded, UsageError> {
        let args = event_args(args, offset)?;
        let mut messages = Vec::with_capacity(1 + args.attachments().len());
        parser.encode(Packet::event(nsp.clone(), args, None), |m| messages.push(m));
        Ok(Encoded {
            nsp: nsp.clone(),
            parser,
            messages,
            compress: true,
        })
    }

    /// The broadcast's `compress` flag (`io.compress(false).emit(..)`; on by default), carried
    /// to every receiver as [`Emit::with_compress`] carries one socket's.
    #[must_use]
    pub fn with_compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// The `compress` flag.
    pub fn compress(&self) -> bool {
        self.compress
    }

    /// The namespace the event is for.
    pub fn nsp(&self) -> &Nsp {
        &self.nsp
    }

    /// The parser that wrote it.
    pub fn parser(&self) -> Parser {
        self.parser
    }

    /// The Engine.IO messages, in order: with the JSON parser the packet's text, then one binary
    /// message per attachment; with MessagePack one binary message.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
}

/// Checks an EVENT's args as the client's decoder will, and appends the recovery offset.
pub(super) fn event_args(mut args: Args, offset: Option<&str>) -> Result<Args, UsageError> {
    check_depth(&args)?;
    let name = args.event_name().ok_or(UsageError::InvalidArgs)?;
    if RESERVED_EVENTS.contains(&name.as_ref()) {
        return Err(UsageError::ReservedEventName);
    }
    if let Some(offset) = offset {
        args.push_str(offset);
    }
    Ok(args)
}

/// Arguments this end sends nest at most [`OUTGOING_MAX_DEPTH`] deep.
pub(super) fn check_depth(args: &Args) -> Result<(), UsageError> {
    if args.depth() > OUTGOING_MAX_DEPTH {
        return Err(UsageError::InvalidJson(JsonError {
            offset: 0,
            kind: JsonErrorKind::TooDeep,
        }));
    }
    Ok(())
}
