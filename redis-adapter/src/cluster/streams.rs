//! The streams transport (`@socket.io/redis-streams-adapter`): the reader that follows the
//! stream, and this node's broadcasts in order (the entries themselves are in `entry`, recovery
//! across nodes in `recovery`).

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use sockeye_server::Value;
use sockeye_server::adapter::{BroadcastOptions, BroadcastPacket};
use tokio::sync::mpsc;

use super::entry::{READ_COUNT, decode_entry, xread_entries};
use super::{ClusterAdapter, Kind};
use crate::link::Link;

/// How long a broadcast waits here for its stream offset before this node delivers it without one:
/// a Redis that just went away is noticed only when its commands time out, and this node's own
/// clients must not wait for that (its XADD still goes out when Redis answers).
const OFFSET_TIMEOUT: Duration = Duration::from_secs(1);

/// A stream entry to add, in order; a broadcast of this node waits for its offset (with
/// recovery on) before this node delivers it.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) entry: Vec<(String, String)>,
    pub(super) deliver: Option<(BroadcastPacket, BroadcastOptions)>,
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
