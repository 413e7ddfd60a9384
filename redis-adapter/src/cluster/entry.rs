//! Stream entries as Redis gives and takes them (`@socket.io/redis-streams-adapter`'s
//! `encode`/`decode`): their ids, their fields, and the entries of `XREAD` and `XRANGE` answers.
//! A leaf: the streams transport, recovery and delivery all read entries through it.

use std::collections::HashMap;

use base64::Engine as _;
use sockeye_server::Value;
use sockeye_server::value::Map;

use crate::msgpack;
use crate::wire;

/// How many entries one `XREAD` or `XRANGE` reads (the Node adapter's `readCount` default), so
/// that one answer from Redis holds at most this many entries.
pub(super) const READ_COUNT: usize = 100;

/// A stream entry id (`ms-seq`), ordered as Redis orders them.
pub(super) type EntryId = (u64, u64);

pub(super) fn entry_id(id: &str) -> Option<EntryId> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// A stream entry's fields (the streams adapter's `encode`): `data` is JSON text, or base64
/// MessagePack when it holds binary.
pub(super) fn stream_entry(uid: &str, nsp: &str, kind: u64, data: &Value) -> Vec<(String, String)> {
    let data = if data.has_binary() {
        base64::engine::general_purpose::STANDARD.encode(msgpack::encode(data))
    } else {
        String::from_utf8(wire::json(data)).unwrap_or_default()
    };
    vec![
        ("uid".to_owned(), uid.to_owned()),
        ("nsp".to_owned(), nsp.to_owned()),
        ("type".to_owned(), kind.to_string()),
        ("data".to_owned(), data),
    ]
}

/// Reads a stream entry back (`decode`).
pub(crate) fn decode_entry(fields: &HashMap<String, String>) -> Result<Value, String> {
    let mut out: Map = ["uid", "nsp", "type"]
        .into_iter()
        .map(|k| (k, Value::String(fields.get(k).cloned().unwrap_or_default())))
        .collect();
    if let Some(data) = fields.get("data").filter(|d| !d.is_empty()) {
        let value = if data.starts_with('{') {
            serde_json::from_str(data).map_err(|e| format!("invalid JSON: {e}"))?
        } else {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| format!("invalid base64: {e}"))?;
            msgpack::decode(&bytes).map_err(|e| format!("invalid msgpack: {e}"))?
        };
        out.insert("data", value);
    }
    Ok(Value::Object(out))
}

/// One stream entry: its id and fields.
type Entry = (String, HashMap<String, String>);

pub(super) fn entries(value: &redis::Value) -> Vec<Entry> {
    let items = match value {
        redis::Value::Array(items) => items.as_slice(),
        _ => return Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| {
            let redis::Value::Array(pair) = item else {
                return None;
            };
            let id = text(pair.first()?)?;
            let mut fields = HashMap::new();
            match pair.get(1)? {
                redis::Value::Array(kv) => {
                    for chunk in kv.chunks(2) {
                        if let [k, v] = chunk
                            && let (Some(k), Some(v)) = (text(k), text(v))
                        {
                            fields.insert(k, v);
                        }
                    }
                }
                redis::Value::Map(kv) => {
                    for (k, v) in kv {
                        if let (Some(k), Some(v)) = (text(k), text(v)) {
                            fields.insert(k, v);
                        }
                    }
                }
                _ => {}
            }
            Some((id, fields))
        })
        .collect()
}

fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// The entries of an `XREAD` answer (RESP3 map or RESP2 array of `[stream, entries]`).
pub(super) fn xread_entries(value: &redis::Value) -> Vec<Entry> {
    match value {
        redis::Value::Map(streams) => streams.iter().flat_map(|(_, e)| entries(e)).collect(),
        redis::Value::Array(streams) => streams
            .iter()
            .filter_map(|s| match s {
                redis::Value::Array(pair) => pair.get(1).map(entries),
                _ => None,
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}
