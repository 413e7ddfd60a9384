//! Rooms and broadcasting behind the [`Adapter`] trait, shaped for several server nodes from the
//! start (the reference's `socket.io-adapter`); the in-memory one is
//! [`MemoryAdapter`](crate::adapter::MemoryAdapter).
//!
//! One adapter serves one namespace. Room bookkeeping is local and synchronous, as in the reference
//! (a multi-node adapter keeps local rooms too and tells the other nodes through its broker);
//! what involves other nodes is asynchronous or fire-and-forget, as in `@socket.io/redis-adapter`:
//! `broadcast` (its `BROADCAST` request), `broadcast_with_ack` (`BROADCAST_CLIENT_COUNT` then
//! `BROADCAST_ACK`s, so the expected count arrives per server), `add_sockets` / `del_sockets`
//! (`REMOTE_JOIN` / `REMOTE_LEAVE`), `disconnect_sockets` (`REMOTE_DISCONNECT`), `fetch_sockets`
//! (`REMOTE_FETCH`), `server_side_emit` (`SERVER_SIDE_EMIT`) and `server_count`. The request types
//! ([`BroadcastOptions`] with `rooms`, `except` and `flags`, [`BroadcastPacket`] with the packet's
//! `data` array as [`Args`]) follow that adapter's, so a wire-compatible implementation maps them
//! one to one.
//!
//! An adapter reaches this node's sockets through a
//! [`LocalNamespace`](crate::adapter::LocalNamespace), which encodes a packet once for every
//! receiver.

use std::collections::HashSet;
use std::time::Duration;

use proto::socket::Args;
use proto::socket::packet::Nsp;
use tokio::sync::mpsc;

use crate::engine::BoxFuture;
use crate::socketio::error::{AdapterError, EmitError, JoinError};
use crate::socketio::handshake::Handshake;
use crate::socketio::value::Value;

/// A socket id.
pub type SocketId = String;

/// Sockets a broadcast leaves out past which `select` keeps them in a set rather than a list.
pub(crate) const EXCEPT_LIST_MAX: usize = 16;
/// A room name.
pub type Room = String;

/// Rooms as the room methods take them: a name, or several.
pub trait IntoRooms {
    /// The room names.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.to_owned()]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.clone()]
    }
}

impl IntoRooms for Vec<String> {
    fn into_rooms(self) -> Vec<Room> {
        self
    }
}

impl IntoRooms for Vec<&str> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(str::to_owned).collect()
    }
}

impl IntoRooms for &[&str] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl<const N: usize> IntoRooms for [&str; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

/// A broadcast's flags (the reference's `BroadcastFlags`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BroadcastFlags {
    /// Only this node's sockets.
    pub local: bool,
    /// Dropped for sockets whose transport is not writable right now; never stored for recovery.
    pub volatile: bool,
    /// The `compress` flag: `Some(false)` sends the event uncompressed to every receiver (no
    /// permessage-deflate, and no HTTP compression for a polling payload of only such
    /// packets); unset is on, as in the reference.
    pub compress: Option<bool>,
    /// How long to wait for acknowledgements.
    pub timeout: Option<Duration>,
    /// The reference's `expectSingleResponse` (a `RemoteSocket.timeout(..).emit(.., cb)`).
    pub expect_single_response: bool,
}

/// Who a broadcast reaches (the reference's `BroadcastOptions`): the sockets in any of `rooms`
/// (every socket when empty) and in none of `except`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// Target rooms; empty means every socket.
    pub rooms: HashSet<Room>,
    /// Rooms whose sockets are left out.
    pub except: HashSet<Room>,
    /// Flags.
    pub flags: BroadcastFlags,
}

/// A broadcast EVENT: its arguments are `[event name, ...arguments]`, the reference's packet
/// `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastPacket {
    /// The namespace.
    pub nsp: Nsp,
    /// The event name followed by the arguments, as they go on the wire.
    pub args: Args,
}

pub use crate::socketio::cmd::AckEvent;

/// The stream of a broadcast with acknowledgements.
#[derive(Debug)]
pub struct BroadcastAcks {
    /// How many [`AckEvent::ClientCount`] reports to wait for (the number of servers); `None`
    /// when an [`AckEvent::ServerCount`] will tell.
    pub servers: Option<usize>,
    /// The reports and responses.
    pub events: mpsc::UnboundedReceiver<AckEvent>,
}

/// A socket as `fetch_sockets` describes it, on this node or another.
#[derive(Clone, Debug)]
pub struct RemoteSocketData {
    /// The socket id.
    pub id: SocketId,
    /// Its handshake.
    pub handshake: Handshake,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its `data`.
    pub data: Value,
}

/// A disconnected socket's state kept for connection state recovery (`persistSession`).
#[derive(Clone, Debug, PartialEq)]
pub struct PersistedSession {
    /// The socket id, given back on recovery.
    pub sid: SocketId,
    /// The private id the client presents (`pid`).
    pub pid: String,
    /// The rooms it was in.
    pub rooms: Vec<Room>,
    /// Its `data`.
    pub data: Value,
}

/// A recovered session (`restoreSession`): the persisted state and the packets it missed, each
/// an EVENT's `data` array with its offset as the last element.
#[derive(Clone, Debug, PartialEq)]
pub struct RestoredSession {
    /// The persisted state.
    pub session: PersistedSession,
    /// The missed packets, oldest first.
    pub missed_packets: Vec<Args>,
}

/// Where a node's answer to a `serverSideEmit` with an acknowledgement goes: the arguments the
/// handler answered with.
pub type ServerSideAck = tokio::sync::oneshot::Sender<Args>;

/// A room event (the reference adapter's `create-room`, `delete-room`, `join-room`,
/// `leave-room`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomEvent {
    /// A room got its first member.
    Create(Room),
    /// A room lost its last member.
    Delete(Room),
    /// A socket joined a room.
    Join(Room, SocketId),
    /// A socket left a room.
    Leave(Room, SocketId),
}

/// Rooms and broadcasting for one namespace. See the [module docs](crate::adapter).
pub trait Adapter: Send + Sync + 'static {
    /// Starts the adapter (subscribes to a broker ...).
    fn init(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }

    /// Stops the adapter.
    fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }

    /// How many server nodes share the namespace.
    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(async { Ok(1) })
    }

    /// Adds a local socket to rooms.
    fn add_all(&self, id: &str, rooms: &[Room]);

    /// Adds a local socket to rooms unless it would then be in more than `max` rooms (its own
    /// id's room counts): then it joins none of them. This is how a socket joins
    /// ([`SocketRef::join`](crate::SocketRef::join), `socketsJoin`, a remote join); the default checks
    /// [`Adapter::socket_rooms`] then calls [`Adapter::add_all`], which may let two joins racing
    /// on one socket pass the bound together; the in-memory adapter does both under one lock.
    fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        let current: HashSet<Room> = self.socket_rooms(id).into_iter().collect();
        let after = rooms_after_join(current.len(), rooms, |r| current.contains(r));
        if after > max {
            return Err(JoinError::TooManyRooms { rooms: after, max });
        }
        self.add_all(id, rooms);
        Ok(())
    }

    /// Removes a local socket from a room.
    fn del(&self, id: &str, room: &str);

    /// Removes a local socket from every room.
    fn del_all(&self, id: &str);

    /// A local socket's rooms.
    fn socket_rooms(&self, id: &str) -> Vec<Room>;

    /// This node's rooms.
    fn rooms(&self) -> Vec<Room>;

    /// The rooms of every node (the reference's `allRooms()`); this node's by default.
    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        let rooms = self.rooms();
        Box::pin(async move { Ok(rooms) })
    }

    /// This node's sockets in any of `rooms` (all when empty).
    fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId>;

    /// Sends an EVENT to the sockets `opts` selects, on every node unless `opts.flags.local`.
    fn broadcast(&self, packet: BroadcastPacket, opts: BroadcastOptions) -> Result<(), EmitError>;

    /// Sends an EVENT asking each socket for an acknowledgement; reports per server how many
    /// clients were reached, then each answer.
    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<BroadcastAcks, EmitError>;

    /// Makes the selected sockets join `rooms` (`io.socketsJoin`).
    fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>);

    /// Makes the selected sockets leave `rooms` (`io.socketsLeave`).
    fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>);

    /// Disconnects the selected sockets, closing their connection with `close`
    /// (`io.disconnectSockets`).
    fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool);

    /// Describes the selected sockets, asking other nodes with `timeout` (`io.fetchSockets`).
    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>>;

    /// Emits to the other server nodes (`io.serverSideEmit`); with `ack`, collects one answer per
    /// node within the timeout. The in-memory adapter has no other node: nothing is sent and no
    /// answer is expected.
    fn server_side_emit(
        &self,
        data: Args,
        ack: Option<Duration>,
    ) -> BoxFuture<'_, Result<Vec<Args>, AdapterError>> {
        let _ = (data, ack);
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Keeps a disconnected socket's state for connection state recovery.
    fn persist_session(&self, session: PersistedSession) {
        let _ = session;
    }

    /// Gives back a session kept by [`Adapter::persist_session`] and the packets it missed since
    /// `offset`, or `None` (unknown or expired session, offset too old).
    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        let _ = (pid, offset);
        Box::pin(async { Ok(None) })
    }

    /// Puts a socket that [`Adapter::restore_session`] restored in its rooms, and gives back the
    /// packets broadcast to those rooms after `offset` (the last packet the socket has or was
    /// given back) that it would otherwise miss: those broadcast while its middlewares ran, after
    /// `restore_session` read the store and before the socket was in its rooms. An adapter that
    /// stores packets makes this atomic with its broadcasts (each one is then either returned here
    /// or delivered live, never neither, never both); the default only joins.
    fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        let _ = offset;
        self.add_all(id, rooms);
        Vec::new()
    }
}

/// How many rooms a socket in `count` rooms (those `contains` says) is in after joining `rooms`.
pub(crate) fn rooms_after_join(
    count: usize,
    rooms: &[Room],
    contains: impl Fn(&Room) -> bool,
) -> usize {
    let new: HashSet<&Room> = rooms.iter().filter(|r| !contains(r)).collect();
    count.saturating_add(new.len())
}
