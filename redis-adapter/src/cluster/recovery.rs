//! Connection state recovery across nodes with the streams adapter
//! (`@socket.io/redis-streams-adapter`): a disconnected socket's session is kept in Redis under
//! `sio:session:<pid>`, and whichever node the client comes back to restores it and reads the
//! packets it missed from the stream with `XRANGE`, a bounded number of them.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sockeye_server::adapter::{
    BroadcastOptions, PersistedSession, RestoredSession, Room, SocketId,
};
use sockeye_server::{AdapterError, Args, Value};

use super::entry::{EntryId, READ_COUNT, entries, entry_id};
use super::{ClusterAdapter, DEFAULT_TIMEOUT};
use crate::msgpack;
use crate::wire::{self, obj};

/// The longest private session id looked up (socket.io's are 20 characters): a longer one,
/// which only a client can have made up, costs no Redis command.
const MAX_PID_LEN: usize = 128;
/// How long a session restore may take between its `XRANGE` and its join (the namespace's
/// middlewares run in between) and still get what this node delivered meanwhile.
const RESTORE_WINDOW: Duration = Duration::from_secs(60);

/// Whether a broadcast with `opts` reaches a socket in `rooms`.
fn included(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    (opts.rooms.is_empty() || rooms.iter().any(|r| opts.rooms.contains(r)))
        && !rooms.iter().any(|r| opts.except.contains(r))
}

/// Streams with recovery: a session being restored reads the stream (`XRANGE`), then its socket
/// joins its rooms once the middlewares ran; what this node delivers in between is kept here and
/// given back by `join_restored`, so that it reaches the socket one way or the other.
#[derive(Debug, Default)]
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
        while let Some(start) = next_offset(&from) {
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
                    && let Ok(msg) = self.read_entry(&fields)
                {
                    let data = msg.get("data");
                    let opts = wire::decode_opts(data.and_then(|d| d.get("opts")));
                    if let Some(packet) = wire::decode_packet(data.and_then(|d| d.get("packet")))
                        && included(rooms, &opts)
                    {
                        let mut args = packet.args;
                        args.push_str(&id);
                        missed_packets.push(args);
                    }
                }
                from = id;
            }
        }
        Ok(Some(missed_packets))
    }
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
