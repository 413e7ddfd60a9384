//! Event arguments between the server's [`Args`] and the messages' value trees, and the
//! broadcast packet `{type: 2, data, nsp}`.

use serde::Serialize;
use sockeye_server::adapter::BroadcastPacket;
use sockeye_server::proto::socket::args::ser;
use sockeye_server::proto::socket::packet::Nsp;
use sockeye_server::value::Values;
use sockeye_server::{Args, DataError, EmitError, SerializeError, Value};

use super::{as_u64, num, obj};

/// Arguments as the messages carry them: an array of values, binary ones as `bin` (MessagePack)
/// where the server has attachments. Linear in their size.
pub(crate) fn values(args: &Args) -> Result<Vec<Value>, DataError> {
    Values::from_args(args).map(|values| values.0)
}

/// Values from a message as arguments, each value one (binary ones become attachments).
pub(crate) fn args(values: &[Value]) -> Result<Args, SerializeError> {
    /// Borrows the values where [`Values`] owns them: a tuple is one argument per element.
    struct Each<'a>(&'a [Value]);
    impl Serialize for Each<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeTuple;
            let mut t = serializer.serialize_tuple(self.0.len())?;
            for v in self.0 {
                t.serialize_element(v)?;
            }
            t.end()
        }
    }
    ser::to_args(&Each(values))
}

/// An answer's one argument (a client's acknowledgement, a node's server-side answer: the Node
/// adapters forward the first argument only); no argument when the message has none.
pub(crate) fn one_arg(value: Option<&Value>) -> Result<Args, SerializeError> {
    match value {
        Some(v) => args(std::slice::from_ref(v)),
        None => Ok(Args::new()),
    }
}

/// The first of `args`, which is all the Node adapters forward of an answer; `None` when there
/// is none.
pub(crate) fn first_arg(args: &Args) -> Option<Value> {
    if args.is_empty() {
        return None;
    }
    match Value::from_args(args) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!("answer not forwarded: {e}");
            None
        }
    }
}

/// Why a broadcast's arguments could not be written in a message: never expected, as `Args`
/// are valid JSON by construction, but reported rather than assumed.
pub(crate) fn emit_error(e: &DataError) -> EmitError {
    EmitError::Serialize(<SerializeError as serde::ser::Error>::custom(e))
}

/// The socket.io packet `{type: 2, data, nsp}` of a broadcast; `args` are the packet's `data`
/// (the event name first).
pub(crate) fn event_packet(nsp: &str, args: &Args) -> Result<Value, DataError> {
    Ok(obj([
        ("type", num(2)),
        ("data", Value::Array(values(args)?)),
        ("nsp", Value::String(nsp.to_owned())),
    ]))
}

/// Reads a broadcast packet, when it is an EVENT (or BINARY_EVENT) whose data starts with an
/// event name: its namespace (`/` when absent, as the Node adapter) and its data as arguments.
pub(crate) fn decode_packet(v: Option<&Value>) -> Option<BroadcastPacket> {
    let v = v?;
    let kind = as_u64(v.get("type"));
    if !matches!(kind, Some(2 | 5)) {
        return None;
    }
    let nsp = Nsp::new(v.get("nsp").and_then(Value::as_str).unwrap_or("/")).ok()?;
    let data = match v.get("data") {
        Some(Value::Array(data)) if !data.is_empty() => data,
        _ => return None,
    };
    let args = args(data).ok()?;
    args.event_name()?;
    Some(BroadcastPacket { nsp, args })
}
