//! The streams transport (`@socket.io/redis-streams-adapter`): stream entries, the reader
//! that follows the stream, and this node's broadcasts in order (recovery across nodes is in
//! `recovery`).

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use base64::Engine as _;
use sockeye_server::Value;
use sockeye_server::adapter::{BroadcastOptions, BroadcastPacket};
use sockeye_server::value::Map;
use tokio::sync::mpsc;

use super::{ClusterAdapter, Kind};
use crate::link::Link;
use crate::msgpack;
use crate::wire;

/// How long a broadcast waits here for its stream offset before this node delivers it without one:
/// a Redis that just went away is noticed only when its commands time out, and this node's own
/// clients must not wait for that (its XADD still goes out when Redis answers).
const OFFSET_TIMEOUT: Duration = Duration::from_secs(1);
/// How many entries one `XREAD` or `XRANGE` reads (the Node adapter's `readCount` default), so
/// that one answer from Redis holds at most this many entries.
pub(super) const READ_COUNT: usize = 100;

/// A stream entry to add, in order; a broadcast of this node waits for its offset (with
/// recovery on) before this node delivers it.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) entry: Vec<(String, String)>,
    pub(super) deliver: Option<(BroadcastPacket, BroadcastOptions)>,
}

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
                        if let [k, v] = chunk {
                            if let (Some(k), Some(v)) = (text(k), text(v)) {
                                fields.insert(k, v);
                            }
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
fn xread_entries(value: &redis::Value) -> Vec<Entry> {
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

/// Follows the stream from its end (`$`), as the Node adapter, and hands each entry to the
/// adapter; after a Redis restart it carries on from the last id it saw.
pub(super) async fn read_stream(adapter: Weak<ClusterAdapter>, reader: Link, stream: String) {
    let mut offset = "$".to_owned();
    loop {
        if adapter.strong_count() == 0 {
            return;
        }
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("BLOCK")
            .arg(2000)
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&offset);
        match reader.query(cmd, Duration::from_secs(4)).await {
            Ok(value) => {
                for (id, fields) in xread_entries(&value) {
                    let Some(adapter) = adapter.upgrade() else {
                        return;
                    };
                    if fields.contains_key("nsp") {
                        match adapter.read_entry(&fields) {
                            Ok(msg) => adapter.on_message(&msg, Some(&id)),
                            Err(e) => adapter.malformed.refuse(
                                adapter.local.name(),
                                &format_args!("stream entry {id} unread: {e}"),
                            ),
                        }
                    }
                    offset = id;
                }
            }
            Err(e) => {
                tracing::debug!("XREAD: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Publishes this node's broadcasts in order and delivers each here once its stream offset is
/// known (the offset goes to clients for recovery).
pub(super) async fn send_broadcasts(
    adapter: Weak<ClusterAdapter>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(out) = rx.recv().await {
        let Some(adapter) = adapter.upgrade() else {
            return;
        };
        let Kind::Streams {
            stream, max_len, ..
        } = &adapter.transport.kind
        else {
            return;
        };
        let mut cmd = redis::cmd("XADD");
        cmd.arg(stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(*max_len)
            .arg("*");
        for (k, v) in &out.entry {
            cmd.arg(k).arg(v);
        }
        // Without recovery (or for a command) nothing waits for the offset: the entry is queued
        // (kept while Redis is away) and this node delivers at once.
        // Redis away: deliver now, without an offset, rather than wait for it.
        let (packet, opts) = match out.deliver {
            Some(broadcast) if adapter.recovery() && adapter.link.is_connected() => broadcast,
            other => {
                if let Some((packet, opts)) = &other {
                    adapter.deliver(packet, opts, None);
                }
                adapter.link.command(cmd);
                continue;
            }
        };
        let offset = match adapter.link.query_kept(cmd, OFFSET_TIMEOUT).await {
            Ok(redis::Value::BulkString(id)) => Some(String::from_utf8_lossy(&id).into_owned()),
            Ok(redis::Value::SimpleString(id)) => Some(id),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("XADD failed ({e}): delivered here without an offset");
                None
            }
        };
        adapter.deliver(&packet, &opts, offset.as_deref());
    }
}

impl ClusterAdapter {
    /// Decodes a stream entry unless its fields together are over the message size bound
    /// (checked before decoding, so an oversized entry costs no more than reading it).
    pub(super) fn read_entry(&self, fields: &HashMap<String, String>) -> Result<Value, String> {
        let size = fields.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.len())
        });
        if size > self.limits.max_message_size {
            return Err(format!(
                "{size} bytes, over {}",
                self.limits.max_message_size
            ));
        }
        decode_entry(fields)
    }
}
