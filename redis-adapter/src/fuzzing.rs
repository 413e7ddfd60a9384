//! Not API: what the adapters do with bytes read from Redis, gathered for the fuzz targets
//! (`fuzz/`, target `redis_message`) and their corpus replay test. The adapters themselves
//! decode inside tasks fed by a live Redis connection; these functions run the same decoders on
//! bytes given directly.

use std::collections::HashMap;

use base64::Engine as _;
use sockeye_server::Value;

use crate::{cluster, msgpack, wire};

/// How a message reached the adapter, which decides how its bytes are read.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    /// A `@socket.io/redis-adapter` broadcast: MessagePack `[uid, packet, opts]`.
    PubSubBroadcast,
    /// A pub/sub request or response, or a sharded message: JSON when it starts with `{`,
    /// MessagePack otherwise.
    JsonOrMsgpack,
    /// A streams-adapter request or response: MessagePack.
    Msgpack,
    /// A stream entry's fields: `data` is JSON text or base64 MessagePack.
    StreamEntry,
    /// A persisted session (`sio:session:<pid>`): base64 MessagePack.
    Session,
}

/// Decodes `payload` as the adapter does for messages on `channel`, then reads the fields the
/// adapters read (broadcast options, packets, rooms, sockets) wherever they may appear in it.
/// Returns the decoded message, or why it was dropped.
pub fn decode(channel: Channel, payload: &[u8]) -> Result<Value, String> {
    let value = match channel {
        Channel::PubSubBroadcast => {
            let value = msgpack::decode(payload).map_err(|e| e.to_string())?;
            if let Value::Array(items) = &value {
                let _ = wire::decode_packet(items.get(1));
                let _ = wire::decode_opts(items.get(2));
            }
            value
        }
        Channel::JsonOrMsgpack => wire::parse(payload)?,
        Channel::Msgpack => msgpack::decode(payload).map_err(|e| e.to_string())?,
        Channel::StreamEntry => {
            // Fields as `XREAD` hands them: here `name=value` lines.
            let text = String::from_utf8_lossy(payload);
            let fields: HashMap<String, String> = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            cluster::decode_entry(&fields)?
        }
        Channel::Session => {
            // As `restore_session` reads the key's value.
            let text = String::from_utf8_lossy(payload);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|e| e.to_string())?;
            let session = msgpack::decode(&bytes).map_err(|e| e.to_string())?;
            let _ = wire::room_list(session.get("rooms"));
            session
        }
    };
    read(&value, 0);
    Ok(value)
}

/// Reads every object of `value` as each kind of message the adapters interpret.
fn read(value: &Value, depth: usize) {
    // The decoders bound nesting already; this bounds the walk's own recursion the same way.
    if depth > 130 {
        return;
    }
    match value {
        Value::Object(entries) => {
            let _ = wire::decode_opts(Some(value));
            let _ = wire::decode_packet(Some(value));
            let _ = wire::decode_socket(value);
            let _ = wire::room_list(value.get("rooms"));
            for v in entries.values() {
                read(v, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                read(v, depth + 1);
            }
        }
        _ => {}
    }
}
