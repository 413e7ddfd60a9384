//! The in-memory adapter ([`MemoryAdapter`]): one node, rooms in memory, and the sessions and
//! packets that connection state recovery keeps ([`recovery`]).

mod recovery;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use proto::socket::Args;
use tokio::sync::mpsc;

use crate::engine::BoxFuture;
use crate::socketio::adapter::*;
use crate::socketio::error::{AdapterError, EmitError, JoinError};
use crate::socketio::io::local::LocalNamespace;

#[derive(Default)]
struct Rooms {
    rooms: HashMap<Room, HashSet<SocketId>>,
    sids: HashMap<SocketId, HashSet<Room>>,
}

/// The in-memory adapter (the reference's `Adapter`, and its `SessionAwareAdapter` when
/// connection state recovery is on): one node, rooms in memory.
pub struct MemoryAdapter {
    local: LocalNamespace,
    state: Mutex<Rooms>,
    recovery: Option<Mutex<recovery::Store>>,
}

impl std::fmt::Debug for MemoryAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryAdapter")
            .field("nsp", &self.local.name)
            .finish_non_exhaustive()
    }
}

impl MemoryAdapter {
    /// An adapter for the namespace `local`; it keeps sessions and packets for recovery when the
    /// server has connection state recovery on.
    pub fn new(local: LocalNamespace) -> Self {
        let recovery = local.recovery.map(|r| Mutex::new(recovery::Store::new(r)));
        MemoryAdapter {
            local,
            state: Mutex::new(Rooms::default()),
            recovery,
        }
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, Rooms> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ids `opts` selects (the reference's `apply`).
    fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        let mut ids = Vec::new();
        self.select_each(opts, &mut |id| ids.push(id.to_owned()));
        ids
    }

    /// Calls `each` with every id `opts` selects, once each, under the rooms' lock (`each` must
    /// not call back into the adapter).
    fn select_each(&self, opts: &BroadcastOptions, each: &mut dyn FnMut(&str)) {
        let state = self.rooms();
        // The sockets left out: usually a handful (the sender's own room), which a list holds
        // more cheaply than a set; a set past that, so that a wide `except` stays linear.
        let mut except: Vec<&SocketId> = Vec::new();
        for room in &opts.except {
            if let Some(ids) = state.rooms.get(room) {
                except.extend(ids);
            }
        }
        let except_set: Option<HashSet<&SocketId>> =
            (except.len() > EXCEPT_LIST_MAX).then(|| except.iter().copied().collect());
        let kept = |id: &SocketId| match &except_set {
            Some(set) => !set.contains(id),
            None => !except.contains(&id),
        };
        let mut rooms = opts.rooms.iter();
        match (rooms.next(), rooms.next()) {
            // To everyone, or to one room: each id is there once.
            (None, _) => state
                .sids
                .keys()
                .filter(|id| kept(id))
                .for_each(|id| each(id)),
            (Some(room), None) => state
                .rooms
                .get(room)
                .into_iter()
                .flatten()
                .filter(|id| kept(id))
                .for_each(|id| each(id)),
            // Several rooms: a socket in two of them gets the broadcast once.
            _ => {
                let mut seen = HashSet::new();
                for room in &opts.rooms {
                    for id in state.rooms.get(room).into_iter().flatten() {
                        if kept(id) && seen.insert(id) {
                            each(id);
                        }
                    }
                }
            }
        }
    }

    fn recovery_store(&self) -> Option<std::sync::MutexGuard<'_, recovery::Store>> {
        self.recovery
            .as_ref()
            .map(|rec| rec.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl MemoryAdapter {
    /// [`Adapter::add_all_bounded`], checked and done under one lock.
    fn add_all_within(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        for ev in self.join_silently(id, rooms, max)? {
            self.local.room_event(ev);
        }
        Ok(())
    }

    /// Joins as [`MemoryAdapter::add_all_within`] does and returns the room events to fire,
    /// so that a caller holding the recovery lock fires them (user code) after releasing it.
    fn join_silently(
        &self,
        id: &str,
        rooms: &[Room],
        max: usize,
    ) -> Result<Vec<RoomEvent>, JoinError> {
        let mut events = Vec::new();
        {
            let mut state = self.rooms();
            let state = &mut *state;
            let after = match state.sids.get(id) {
                Some(own) => rooms_after_join(own.len(), rooms, |r| own.contains(r)),
                None => rooms_after_join(0, rooms, |_| false),
            };
            if after > max {
                return Err(JoinError::TooManyRooms { rooms: after, max });
            }
            let own = state.sids.entry(id.to_owned()).or_default();
            for room in rooms {
                own.insert(room.clone());
                let members = state.rooms.entry(room.clone()).or_insert_with(|| {
                    events.push(RoomEvent::Create(room.clone()));
                    HashSet::new()
                });
                if members.insert(id.to_owned()) {
                    events.push(RoomEvent::Join(room.clone(), id.to_owned()));
                }
            }
        }
        Ok(events)
    }
}

fn included(session_rooms: &[Room], opts: &BroadcastOptions) -> bool {
    let included = opts.rooms.is_empty() || session_rooms.iter().any(|r| opts.rooms.contains(r));
    let not_excluded = session_rooms.iter().all(|r| !opts.except.contains(r));
    included && not_excluded
}

impl Adapter for MemoryAdapter {
    fn add_all(&self, id: &str, rooms: &[Room]) {
        // Never refused: the count saturates at the bound.
        let _ = self.add_all_within(id, rooms, usize::MAX);
    }

    fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        self.add_all_within(id, rooms, max)
    }

    fn del(&self, id: &str, room: &str) {
        let mut events = Vec::new();
        {
            let mut state = self.rooms();
            if let Some(own) = state.sids.get_mut(id) {
                own.remove(room);
            }
            del_member(&mut state, room, id, &mut events);
        }
        for ev in events {
            self.local.room_event(ev);
        }
    }

    fn del_all(&self, id: &str) {
        let mut events = Vec::new();
        {
            let mut state = self.rooms();
            if let Some(own) = state.sids.remove(id) {
                for room in own {
                    del_member(&mut state, &room, id, &mut events);
                }
            }
        }
        for ev in events {
            self.local.room_event(ev);
        }
    }

    fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.rooms()
            .sids
            .get(id)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn rooms(&self) -> Vec<Room> {
        MemoryAdapter::rooms(self).rooms.keys().cloned().collect()
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId> {
        self.select(&BroadcastOptions {
            rooms: rooms.clone(),
            ..BroadcastOptions::default()
        })
    }

    fn broadcast(&self, packet: BroadcastPacket, opts: BroadcastOptions) -> Result<(), EmitError> {
        let store = if opts.flags.volatile {
            None
        } else {
            self.recovery_store()
        };
        let (sockets, offset) = match store {
            Some(mut store) => {
                // Selected under the recovery lock, which a restored socket holds while it joins
                // its rooms and reads what it missed (`join_restored`): so this packet is either
                // among those or reaches it live.
                let sockets = self
                    .local
                    .sockets_where(|each| self.select_each(&opts, each));
                let id = store.push(&opts, &packet.args, tokio::time::Instant::now());
                (sockets, Some(id))
            }
            None => (
                self.local
                    .sockets_where(|each| self.select_each(&opts, each)),
                None,
            ),
        };
        self.local
            .deliver_to(sockets, &packet, &opts.flags, offset.as_deref())
    }

    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<BroadcastAcks, EmitError> {
        let ids = self.select(&opts);
        let (tx, rx) = mpsc::unbounded_channel();
        let count = self
            .local
            .deliver_with_ack(&ids, &packet, &opts.flags, &tx)?;
        let _ = tx.send(AckEvent::ClientCount(count));
        Ok(BroadcastAcks {
            servers: Some(1),
            events: rx,
        })
    }

    fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        for id in self.select(&opts) {
            self.local.join(&id, rooms.clone());
        }
    }

    fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        for id in self.select(&opts) {
            for room in &rooms {
                self.local.leave(&id, room);
            }
        }
    }

    fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) {
        for id in self.select(&opts) {
            self.local.disconnect(&id, close);
        }
    }

    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>> {
        let sockets = self
            .select(&opts)
            .iter()
            .filter_map(|id| self.local.fetch(id))
            .collect();
        Box::pin(async move { Ok(sockets) })
    }

    fn persist_session(&self, session: PersistedSession) {
        if let Some(mut store) = self.recovery_store() {
            store.persist(session, tokio::time::Instant::now());
        }
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        let restored = self
            .recovery_store()
            .and_then(|mut store| store.restore(pid, offset, tokio::time::Instant::now()));
        Box::pin(async move { Ok(restored) })
    }

    fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        let Some(store) = self.recovery_store() else {
            self.add_all(id, rooms);
            return Vec::new();
        };
        let (events, late) = {
            // Never refused: these rooms were joined under the bound before.
            let events = self
                .join_silently(id, rooms, usize::MAX)
                .unwrap_or_default();
            // Nothing when the offset went meanwhile (a bound cut the history): the socket is
            // restored already, and what it missed is no longer known.
            let late = store.after(offset, rooms).unwrap_or_default();
            drop(store);
            (events, late)
        };
        for ev in events {
            self.local.room_event(ev);
        }
        late
    }
}

fn del_member(state: &mut Rooms, room: &str, id: &str, events: &mut Vec<RoomEvent>) {
    if let Some(members) = state.rooms.get_mut(room) {
        if members.remove(id) {
            events.push(RoomEvent::Leave(room.to_owned(), id.to_owned()));
        }
        if members.is_empty() {
            state.rooms.remove(room);
            events.push(RoomEvent::Delete(room.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests;
