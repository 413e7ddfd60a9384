//! What the in-memory adapter keeps for connection state recovery (the reference's
//! `SessionAwareAdapter`): disconnected sessions for `maxDisconnectionDuration`, and every
//! non-volatile broadcast with its offset, so that a client coming back gets what it missed.
//!
//! Both are queues in the order they were filled, which is also the order in which they expire:
//! pruning pops from the front and stops at the first entry still alive, so its cost is what it
//! removes, not what is stored. The packets are also bounded by count and by bytes
//! ([`ConnectionStateRecovery::max_stored_packets`], [`ConnectionStateRecovery::max_stored_bytes`]),
//! oldest out first. A client's offset is found in constant time: offsets end with a sequence
//! number, and the queue holds consecutive numbers.

use std::collections::{HashMap, VecDeque};

use proto::socket::Args;
use tokio::time::Instant;

use super::included;
use crate::socketio::adapter::{BroadcastOptions, PersistedSession, RestoredSession, Room};
use crate::socketio::config::ConnectionStateRecovery;

struct StoredPacket {
    /// The offset's sequence number: each packet's is one more than the one before it.
    seq: u64,
    /// The offset, as the client sees it.
    id: String,
    opts: BroadcastOptions,
    /// The event's arguments, its offset last.
    args: Args,
    emitted_at: Instant,
    /// What it counts against `max_stored_bytes`.
    size: usize,
}

struct KeptSession {
    session: PersistedSession,
    /// Which entry of `Store::expiry` is this one's: a pid persisted again (a recovered socket
    /// lost its transport again) leaves an older entry behind, which must not remove it.
    generation: u64,
}

/// The recovery state of one namespace.
pub(super) struct Store {
    config: ConnectionStateRecovery,
    sessions: HashMap<String, KeptSession>,
    /// `(persisted at, pid, generation)`, oldest first.
    expiry: VecDeque<(Instant, String, u64)>,
    generation: u64,
    packets: VecDeque<StoredPacket>,
    /// The sum of the stored packets' sizes.
    bytes: usize,
    /// The last sequence number given.
    last_seq: u64,
}

impl Store {
    pub(super) fn new(config: ConnectionStateRecovery) -> Self {
        Store {
            config,
            sessions: HashMap::new(),
            expiry: VecDeque::new(),
            generation: 0,
            packets: VecDeque::new(),
            bytes: 0,
            last_seq: 0,
        }
    }

    /// Keeps a disconnected socket's state.
    pub(super) fn persist(&mut self, session: PersistedSession, now: Instant) {
        self.prune(now);
        self.generation += 1;
        let generation = self.generation;
        self.expiry
            .push_back((now, session.pid.clone(), generation));
        self.sessions.insert(
            session.pid.clone(),
            KeptSession {
                session,
                generation,
            },
        );
    }

    /// Stores a broadcast and returns its offset; `args` get the offset as their last element.
    pub(super) fn push(&mut self, opts: &BroadcastOptions, args: &Args, now: Instant) -> String {
        self.prune(now);
        self.last_seq += 1;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let id = format!(
            "{}-{}",
            proto::url::yeast(u64::try_from(millis).unwrap_or(0)),
            self.last_seq
        );
        let mut args = args.clone();
        args.push_str(&id);
        let rooms: usize = opts.rooms.iter().chain(&opts.except).map(String::len).sum();
        let attachments: usize = args.attachments().iter().map(Vec::len).sum();
        let size = args.text().len() + attachments + id.len() + rooms;
        self.bytes += size;
        self.packets.push_back(StoredPacket {
            seq: self.last_seq,
            id: id.clone(),
            opts: opts.clone(),
            args,
            emitted_at: now,
            size,
        });
        // Oldest out first, down to both bounds: a packet larger than the byte bound goes too,
        // so that the queue never has a gap a recovered client would silently miss.
        while self.packets.len() > self.config.max_stored_packets
            || self.bytes > self.config.max_stored_bytes
        {
            self.pop_packet();
        }
        id
    }

    /// A kept session and what it missed since `offset`; `None` when the session is unknown
    /// or expired, or `offset` is no longer (or never was) stored.
    pub(super) fn restore(
        &mut self,
        pid: &str,
        offset: &str,
        now: Instant,
    ) -> Option<RestoredSession> {
        self.prune(now);
        let session = self.sessions.get(pid)?.session.clone();
        let missed_packets = self.after(offset, &session.rooms)?;
        Some(RestoredSession {
            session,
            missed_packets,
        })
    }

    /// The packets stored after `offset` that a socket in `rooms` would have received; `None`
    /// when `offset` is not stored.
    pub(super) fn after(&self, offset: &str, rooms: &[Room]) -> Option<Vec<Args>> {
        let index = self.index_of(offset)?;
        Some(
            self.packets
                .range(index + 1..)
                .filter(|p| included(rooms, &p.opts))
                .map(|p| p.args.clone())
                .collect(),
        )
    }

    /// Where the packet with this offset is, without a scan: its sequence number minus the
    /// first one's. The whole offset must match, so that a forged one finds nothing.
    fn index_of(&self, offset: &str) -> Option<usize> {
        let (_, seq) = offset.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        let first = self.packets.front()?.seq;
        let index = usize::try_from(seq.checked_sub(first)?).ok()?;
        let packet = self.packets.get(index)?;
        (packet.id == offset).then_some(index)
    }

    /// Drops expired sessions and packets, from the front of their queues (the reference does
    /// it every minute; here on use).
    fn prune(&mut self, now: Instant) {
        let max = self.config.max_disconnection_duration;
        let expired = |at: Instant| now.saturating_duration_since(at) > max;
        while let Some((at, _, _)) = self.expiry.front() {
            if !expired(*at) {
                break;
            }
            if let Some((_, pid, generation)) = self.expiry.pop_front()
                && self
                    .sessions
                    .get(&pid)
                    .is_some_and(|kept| kept.generation == generation)
            {
                self.sessions.remove(&pid);
            }
        }
        while self.packets.front().is_some_and(|p| expired(p.emitted_at)) {
            self.pop_packet();
        }
    }

    fn pop_packet(&mut self) {
        if let Some(p) = self.packets.pop_front() {
            self.bytes -= p.size;
        }
    }

    /// The last offset given (tests).
    #[cfg(test)]
    pub(super) fn last_offset(&self) -> Option<String> {
        self.packets.back().map(|p| p.id.clone())
    }

    /// How many sessions and packets are kept, and their bytes (tests).
    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize, usize) {
        (self.sessions.len(), self.packets.len(), self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::socketio::value::Value;

    fn store(max_packets: usize, max_bytes: usize) -> Store {
        Store::new(ConnectionStateRecovery {
            max_stored_packets: max_packets,
            max_stored_bytes: max_bytes,
            ..ConnectionStateRecovery::default()
        })
    }

    fn session(pid: &str) -> PersistedSession {
        PersistedSession {
            sid: format!("sid-{pid}"),
            pid: pid.into(),
            rooms: vec![format!("sid-{pid}")],
            data: Value::Null,
        }
    }

    fn event(text: &str) -> Args {
        proto::socket::args::ser::to_event_args("e", text).unwrap()
    }

    fn missed(store: &mut Store, pid: &str, offset: &str, now: Instant) -> Option<Vec<String>> {
        let restored = store.restore(pid, offset, now)?;
        Some(
            restored
                .missed_packets
                .iter()
                .map(|a| a.items().nth(1).unwrap().to_owned())
                .collect(),
        )
    }

    #[test]
    fn the_oldest_packets_go_first_past_the_count_and_their_clients_are_not_recovered() {
        let now = Instant::now();
        let mut store = store(3, usize::MAX);
        let everyone = BroadcastOptions::default();
        let first = store.push(&everyone, &event("1"), now);
        let second = store.push(&everyone, &event("2"), now);
        store.persist(session("p"), now);
        store.push(&everyone, &event("3"), now);
        assert_eq!(
            missed(&mut store, "p", &second, now),
            Some(vec![r#""3""#.to_owned()])
        );
        store.push(&everyone, &event("4"), now);
        assert_eq!(store.counts().1, 3);
        assert_eq!(missed(&mut store, "p", &first, now), None, "history cut");
        assert_eq!(
            missed(&mut store, "p", &second, now),
            Some(vec![r#""3""#.to_owned(), r#""4""#.to_owned()]),
            "the rest is whole"
        );
        store.push(&everyone, &event("5"), now);
        assert_eq!(missed(&mut store, "p", &second, now), None);
    }

    #[test]
    fn the_oldest_packets_go_first_past_the_bytes() {
        let now = Instant::now();
        let mut store = store(usize::MAX, 250);
        let everyone = BroadcastOptions::default();
        let a = store.push(&everyone, &event(&"a".repeat(60)), now);
        let b = store.push(&everyone, &event(&"b".repeat(60)), now);
        store.persist(session("p"), now);
        assert!(missed(&mut store, "p", &a, now).is_some());
        store.push(&everyone, &event(&"c".repeat(60)), now);
        let (_, packets, bytes) = store.counts();
        assert!(bytes <= 250, "{bytes} bytes kept");
        assert_eq!(packets, 2);
        assert_eq!(missed(&mut store, "p", &a, now), None, "history cut");
        assert_eq!(missed(&mut store, "p", &b, now).map(|m| m.len()), Some(1));

        // One packet over the whole bound is not kept, and nothing before it can be recovered.
        let huge = store.push(&everyone, &event(&"d".repeat(300)), now);
        assert_eq!(store.counts(), (1, 0, 0));
        assert_eq!(missed(&mut store, "p", &b, now), None);
        assert_eq!(missed(&mut store, "p", &huge, now), None);
        let after = store.push(&everyone, &event("e"), now);
        assert_eq!(missed(&mut store, "p", &after, now), Some(Vec::new()));
    }

    #[test]
    fn offsets_are_found_whole_or_not_at_all() {
        let now = Instant::now();
        let mut store = store(10, usize::MAX);
        let everyone = BroadcastOptions::default();
        let offset = store.push(&everyone, &event("1"), now);
        store.persist(session("p"), now);
        let (prefix, seq) = offset.rsplit_once('-').unwrap();
        for forged in [
            format!("{prefix}x-{seq}"),
            format!("{prefix}-{}", seq.parse::<u64>().unwrap() + 1),
            format!("{prefix}-99999999999999999999999"),
            "-1".to_owned(),
            String::new(),
        ] {
            assert_eq!(missed(&mut store, "p", &forged, now), None, "{forged}");
        }
        assert_eq!(missed(&mut store, "p", &offset, now), Some(Vec::new()));
    }

    #[test]
    fn sessions_and_packets_expire_from_the_front() {
        let start = Instant::now();
        let max = ConnectionStateRecovery::default().max_disconnection_duration;
        let mut store = store(10, usize::MAX);
        let everyone = BroadcastOptions::default();
        let offset = store.push(&everyone, &event("1"), start);
        store.persist(session("old"), start);
        store.persist(session("again"), start);
        let later = start + max / 2;
        // Persisted again later (recovered, then lost again): the first entry must not drop it.
        store.persist(session("again"), later);
        store.push(&everyone, &event("2"), later);
        let expired = start + max + Duration::from_millis(1);
        store.push(&everyone, &event("3"), expired);
        assert_eq!(
            store.counts().0,
            1,
            "only the session persisted later is kept"
        );
        assert_eq!(missed(&mut store, "old", &offset, expired), None);
        assert_eq!(store.counts().1, 2, "the first packet expired");
        assert!(store.sessions.contains_key("again"));
        assert_eq!(
            store.expiry.len(),
            1,
            "expired entries are gone from the queue"
        );
    }
}
