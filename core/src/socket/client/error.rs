//! Why something failed or was refused: the engine, an ack, an emit, an auth payload.

use alloc::string::String;

use crate::engine::CloseReason;
use crate::json::{self, JsonError, Kind};
use crate::socket::args::Args;
use crate::socket::packet::RESERVED_EVENTS;
use crate::text::{ErrorText, display_by_text};

/// Why the manager could not open an engine (its `error` and `reconnect_error` events).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The engine did not open within [`Config::timeout`](super::Config::timeout).
    Timeout,
    /// The engine failed or closed.
    Engine(CloseReason),
}

impl ErrorText for ConnectionError {
    fn write_text(&self, out: &mut String) {
        match self {
            ConnectionError::Timeout => out.push_str("timeout"),
            ConnectionError::Engine(reason) => reason.write_text(out),
        }
    }
}

display_by_text!(ConnectionError);

impl core::error::Error for ConnectionError {}

/// Why an acknowledgement will not come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckError {
    /// The ack timeout passed (after the last retry, for a queued packet).
    Timeout,
    /// The socket disconnected with the packet already sent. (The reference reports this only to
    /// `emitWithAck` and timed acks and silently drops plain callbacks; a JS driver does the same.)
    Disconnected,
}

impl ErrorText for AckError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            AckError::Timeout => "operation has timed out",
            AckError::Disconnected => "socket has been disconnected",
        });
    }
}

display_by_text!(AckError);

impl core::error::Error for AckError {}

/// Why [`Manager::emit`](super::Manager::emit) or [`Manager::ack`](super::Manager::ack) refused its
/// arguments (caller misuse, not a peer fault).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The socket id is not one of this manager's.
    UnknownSocket,
    /// The arguments are not valid JSON.
    InvalidJson(JsonError),
    /// The arguments are not a JSON array.
    NotAnArray,
    /// An event needs a name: the array's first element, a string or a number.
    MissingEventName,
    /// The name is one the reference reserves (`connect`, `disconnect`, ...).
    ReservedEventName,
    /// The placeholders in the arguments do not match the attachments.
    AttachmentMismatch,
}

impl ErrorText for EmitError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            EmitError::UnknownSocket => "unknown socket",
            EmitError::InvalidJson(e) => {
                out.push_str("invalid arguments: ");
                return e.write_text(out);
            }
            EmitError::NotAnArray => "arguments are not a json array",
            EmitError::MissingEventName => {
                "the first argument must be the event name (a string or a number)"
            }
            EmitError::ReservedEventName => "reserved event name",
            EmitError::AttachmentMismatch => "placeholders do not match the attachments",
        });
    }
}

display_by_text!(EmitError);

impl core::error::Error for EmitError {}

/// An auth payload that is not a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Not valid JSON.
    InvalidJson(JsonError),
    /// Valid JSON, but not an object.
    NotAnObject,
}

impl ErrorText for AuthError {
    fn write_text(&self, out: &mut String) {
        match self {
            AuthError::InvalidJson(e) => {
                out.push_str("invalid auth: ");
                e.write_text(out);
            }
            AuthError::NotAnObject => out.push_str("auth is not a json object"),
        }
    }
}

display_by_text!(AuthError);

impl core::error::Error for AuthError {}

pub(super) fn validate_object(json: &str, max_depth: usize) -> Result<(), AuthError> {
    let scan = json::scan(json, max_depth).map_err(AuthError::InvalidJson)?;
    if scan.kind == Kind::Object {
        Ok(())
    } else {
        Err(AuthError::NotAnObject)
    }
}

/// What the server's decoder will demand of an EVENT (`event`) or ACK payload beyond what
/// [`Args`] guarantees: a name, not reserved, and a nesting the server accepts. A binary packet
/// must also have one placeholder per attachment, as the reference writes it: a placeholder-like
/// object among the data would otherwise be taken for binary by a reference peer.
pub(super) fn validate_args(args: &Args, max_depth: usize, event: bool) -> Result<(), EmitError> {
    if args.depth() > max_depth {
        return Err(EmitError::InvalidJson(JsonError {
            offset: 0,
            kind: json::JsonErrorKind::TooDeep,
        }));
    }
    if !args.attachments().is_empty() && args.placeholders().len() != args.attachments().len() {
        return Err(EmitError::AttachmentMismatch);
    }
    if event {
        let name = args.event_name().ok_or(EmitError::MissingEventName)?;
        if RESERVED_EVENTS.contains(&&*name) {
            return Err(EmitError::ReservedEventName);
        }
    }
    Ok(())
}
