//! The streams transport (`@socket.io/redis-streams-adapter`): stream entries, the reader
//! that follows the stream, this node's broadcasts in order, and connection state recovery
//! across nodes (sessions under `sio:session:<pid>`, missed packets read back with `XRANGE`).

use std::collections::{HashMap, VecDeque};
use std::sync::Weak;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sockeye_server::adapter::{
    BroadcastOptions, BroadcastPacket, PersistedSession, RestoredSession, Room, SocketId,
};
use sockeye_server::value::Map;
use sockeye_server::{AdapterError, Args, Value};
use tokio::sync::mpsc;

use super::{ClusterAdapter, DEFAULT_TIMEOUT, Transport};
use crate::link::Link;
use crate::msgpack;
use crate::wire::{self, obj};

/// How long a broadcast waits here for its stream offset before this node delivers it without one:
/// a Redis that just went away is noticed only when its commands time out, and this node's own
/// clients must not wait for that (its XADD still goes out when Redis answers).
const OFFSET_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest private session id looked up (socket.io's are 20 characters): a longer one,
/// which only a client can have made up, costs no Redis command.
const MAX_PID_LEN: usize = 128;
/// How many entries one `XREAD` or `XRANGE` reads (the Node adapter's `readCount` default), so
/// that one answer from Redis holds at most this many entries.
const READ_COUNT: usize = 100;
/// How long a session restore may take between its `XRANGE` and its join (the namespace's
/// middlewares run in between) and still get what this node delivered meanwhile.
const RESTORE_WINDOW: Duration = Duration::from_secs(60);

/// A stream entry to add, in order; a broadcast of this node waits for its offset (with
/// recovery on) before this node delivers it.
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

/// Whether a broadcast with `opts` reaches a socket in `rooms`.
fn included(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    (opts.rooms.is_empty() || rooms.iter().any(|r| opts.rooms.contains(r)))
        && !rooms.iter().any(|r| opts.except.contains(r))
}

/// Streams with recovery: a session being restored reads the stream (`XRANGE`), then its socket
/// joins its rooms once the middlewares ran; what this node delivers in between is kept here and
/// given back by `join_restored`, so that it reaches the socket one way or the other.
#[derive(Default)]
pub(super) struct Restoring {
    /// The sockets being restored, with when their `XRANGE` started.
    pub(super) pending: Vec<(SocketId, Instant)>,
    /// What this node delivered (with an offset) since the oldest of them started: each
    /// packet's data with its offset last, as a restored socket gets it.
    pub(super) delivered: VecDeque<(EntryId, BroadcastOptions, Args, Instant)>,
}

impl Restoring {
    /// Forgets restores that never joined (refused by a middleware) past [`RESTORE_WINDOW`], and
    /// packets older than every restore still pending.
    pub(super) fn prune(&mut self, now: Instant) {
        self.pending
            .retain(|(_, since)| now.duration_since(*since) < RESTORE_WINDOW);
        match self.pending.iter().map(|(_, since)| *since).min() {
            Some(oldest) => {
                while self.delivered.front().is_some_and(|d| d.3 < oldest) {
                    self.delivered.pop_front();
                }
            }
            None => self.delivered = VecDeque::new(),
        }
    }
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

fn entries(value: &redis::Value) -> Vec<Entry> {
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
                                &format_args!("stream entry {id}: {e}"),
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
        let Transport::Streams {
            stream, max_len, ..
        } = &adapter.transport
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

fn next_offset(offset: &str) -> Option<String> {
    let (ms, seq) = offset.split_once('-')?;
    let seq: u64 = seq.parse().ok()?;
    Some(format!("{ms}-{}", seq.checked_add(1)?))
}

fn valid_offset(offset: &str) -> bool {
    offset.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
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

    /// Keeps a disconnected socket's session under `<session_prefix><pid>` for
    /// `maxDisconnectionDuration`: socket.io's session object, as @msgpack/msgpack writes it, in
    /// base64.
    pub(super) fn persist_in_redis(&self, session_prefix: &str, session: PersistedSession) {
        let Some(config) = self.local.connection_state_recovery() else {
            return;
        };
        let value = obj([
            ("sid", Value::String(session.sid)),
            ("pid", Value::String(session.pid.clone())),
            ("rooms", wire::strings(&session.rooms)),
            ("data", session.data),
        ]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(msgpack::encode(&value));
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{session_prefix}{}", session.pid))
            .arg(encoded)
            .arg("PX")
            .arg(u64::try_from(config.max_disconnection_duration.as_millis()).unwrap_or(u64::MAX));
        self.link.command(cmd);
    }

    /// Restores the session `pid` kept in Redis and reads the packets it missed after `offset`.
    pub(super) async fn restore_from_redis(
        &self,
        stream: &str,
        session_prefix: &str,
        pid: String,
        offset: String,
    ) -> Result<Option<RestoredSession>, AdapterError> {
        if !valid_offset(&offset) || pid.is_empty() || pid.len() > MAX_PID_LEN {
            return Ok(None);
        }
        // GET, then DEL: only the node whose DEL removed the key restores the session.
        let mut get = redis::cmd("GET");
        get.arg(format!("{session_prefix}{pid}"));
        let raw = match self.link.query(get, DEFAULT_TIMEOUT).await? {
            redis::Value::BulkString(b) if b.len() <= self.limits.max_message_size => b,
            redis::Value::BulkString(b) => {
                self.malformed.refuse(
                    self.local.name(),
                    &format_args!("session of {} bytes", b.len()),
                );
                return Ok(None);
            }
            _ => return Ok(None),
        };
        let mut del = redis::cmd("DEL");
        del.arg(format!("{session_prefix}{pid}"));
        // A second node cannot restore the same session once this DEL ran.
        match self.link.query(del, DEFAULT_TIMEOUT).await? {
            redis::Value::Int(1) => {}
            _ => return Ok(None),
        }
        let mut check = redis::cmd("XRANGE");
        check.arg(stream).arg(&offset).arg(&offset);
        if entries(&self.link.query(check, DEFAULT_TIMEOUT).await?).is_empty() {
            return Ok(None);
        }
        let session = String::from_utf8_lossy(&raw).into_owned();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(session.trim()) else {
            return Ok(None);
        };
        let Ok(session) = msgpack::decode(&bytes) else {
            return Ok(None);
        };
        let rooms = wire::room_list(session.get("rooms"));
        let session = PersistedSession {
            sid: session
                .get("sid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            pid: pid.clone(),
            rooms: rooms.clone(),
            data: session.get("data").cloned().unwrap_or(Value::Null),
        };
        // From here on, what this node delivers is kept until the socket joins.
        self.restoring()
            .pending
            .push((session.sid.clone(), Instant::now()));
        let missed_packets = self.read_missed(stream, &offset, &rooms).await;
        if !matches!(missed_packets, Ok(Some(_))) {
            self.restoring()
                .pending
                .retain(|(pending, _)| *pending != session.sid);
        }
        Ok(missed_packets?.map(|missed_packets| RestoredSession {
            session,
            missed_packets,
        }))
    }

    /// Joins a restored socket to its rooms and gives back what this node delivered to them
    /// since `offset`: what the session's XRANGE read ends at `offset`, and what was delivered
    /// since is kept in `restoring` (Redis cannot be read from this synchronous call).
    pub(super) fn join_restored_from_stream(
        &self,
        id: &str,
        rooms: &[Room],
        offset: &str,
    ) -> Vec<Args> {
        let mut restoring = self.restoring();
        sockeye_server::adapter::Adapter::add_all(self, id, rooms);
        let late = match entry_id(offset) {
            Some(after) => restoring
                .delivered
                .iter()
                .filter(|(entry, opts, ..)| *entry > after && included(rooms, opts))
                .map(|(_, _, data, _)| data.clone())
                .collect(),
            None => Vec::new(),
        };
        restoring.pending.retain(|(pending, _)| pending != id);
        restoring.prune(Instant::now());
        late
    }
}

impl ClusterAdapter {
    /// The broadcasts to this namespace reaching `rooms` after `offset` in the stream, each
    /// with its entry id last; `None` when more than `max_recovery_entries` entries follow
    /// `offset` (the client chose it: an old one must not make this node read the whole stream).
    async fn read_missed(
        &self,
        stream: &str,
        offset: &str,
        rooms: &[Room],
    ) -> Result<Option<Vec<Args>>, AdapterError> {
        let mut missed_packets = Vec::new();
        let mut from = offset.to_owned();
        let mut read = 0usize;
        loop {
            let Some(start) = next_offset(&from) else {
                break;
            };
            let mut range = redis::cmd("XRANGE");
            range
                .arg(stream)
                .arg(&start)
                .arg("+")
                .arg("COUNT")
                .arg(READ_COUNT);
            let list = entries(&self.link.query(range, DEFAULT_TIMEOUT).await?);
            if list.is_empty() {
                break;
            }
            read = read.saturating_add(list.len());
            if read > self.limits.max_recovery_entries {
                tracing::info!(
                    nsp = self.local.name(),
                    "session not recovered: over {} stream entries since its offset",
                    self.limits.max_recovery_entries
                );
                return Ok(None);
            }
            for (id, fields) in list {
                if fields.get("nsp").map(String::as_str) == Some(self.local.name())
                    && fields.get("type").map(String::as_str) == Some("3")
                {
                    if let Ok(msg) = self.read_entry(&fields) {
                        let data = msg.get("data");
                        let opts = wire::decode_opts(data.and_then(|d| d.get("opts")));
                        if let Some(packet) =
                            wire::decode_packet(data.and_then(|d| d.get("packet")))
                        {
                            if included(rooms, &opts) {
                                let mut args = packet.args;
                                args.push_str(&id);
                                missed_packets.push(args);
                            }
                        }
                    }
                }
                from = id;
            }
        }
        Ok(Some(missed_packets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_order_as_redis_orders_them() {
        assert!(entry_id("1700000000000-10") > entry_id("1700000000000-9"));
        assert!(entry_id("1700000000001-0") > entry_id("1700000000000-99"));
        assert_eq!(entry_id("12"), None);
        assert_eq!(entry_id("a-1"), None);
    }

    #[test]
    fn restoring_keeps_packets_only_while_a_restore_is_pending() {
        let start = Instant::now();
        let mut r = Restoring::default();
        let packet = |id| ((id, 0), BroadcastOptions::default(), Args::new(), start);
        r.pending.push(("a".to_owned(), start));
        r.delivered.push_back(packet(1));
        r.prune(start);
        assert_eq!(r.delivered.len(), 1);
        // A restore that never joined is forgotten after the window, and its packets with it.
        r.prune(start + RESTORE_WINDOW);
        assert!(r.pending.is_empty());
        assert!(r.delivered.is_empty());
        // Packets older than every pending restore go.
        let later = start + Duration::from_secs(1);
        r.delivered.push_back(packet(2));
        r.pending.push(("b".to_owned(), later));
        r.prune(later);
        assert!(r.delivered.is_empty());
    }
}
