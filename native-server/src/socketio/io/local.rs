//! This node's side of a namespace as its adapter reaches it ([`LocalNamespace`]), and the
//! factory that makes a namespace's adapter from it.

use std::sync::{Arc, Weak};

use proto::socket::Args;
use tokio::sync::mpsc;

use super::NsInner;
use crate::socketio::adapter::{
    AckEvent, Adapter, BroadcastFlags, BroadcastPacket, RemoteSocketData, Room, RoomEvent,
    ServerSideAck, SocketId,
};
use crate::socketio::config::ConnectionStateRecovery;
use crate::socketio::error::EmitError;
use crate::socketio::io::socket::SocketRef;

/// Makes the adapter of each namespace.
pub type AdapterFactory = Arc<dyn Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync>;

/// This node's side of a namespace, as its adapter reaches it.
#[derive(Clone)]
pub struct LocalNamespace {
    pub(crate) ns: Weak<NsInner>,
    pub(crate) name: String,
    pub(crate) recovery: Option<ConnectionStateRecovery>,
}

impl std::fmt::Debug for LocalNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalNamespace")
            .field("name", &self.name)
            .finish()
    }
}

impl LocalNamespace {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's connection state recovery options, if it is on.
    pub fn connection_state_recovery(&self) -> Option<ConnectionStateRecovery> {
        self.recovery
    }

    /// The same namespace as seen by an adapter that keeps recovery state itself (a
    /// [`MemoryAdapter`](crate::adapter::MemoryAdapter) made with it keeps rooms only, no sessions or packets).
    pub fn without_recovery(&self) -> LocalNamespace {
        LocalNamespace {
            recovery: None,
            ..self.clone()
        }
    }

    fn socket(&self, id: &str) -> Option<SocketRef> {
        self.ns.upgrade()?.socket(id)
    }

    /// Whether a socket with this id is connected here.
    pub fn has_socket(&self, id: &str) -> bool {
        self.socket(id).is_some()
    }

    /// Sends `packet` to the local sockets `ids`, encoded once; `offset` (connection state
    /// recovery) is appended as the last argument.
    pub fn deliver(
        &self,
        ids: &[SocketId],
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        offset: Option<&str>,
    ) -> Result<(), EmitError> {
        let Some(ns) = self.ns.upgrade() else {
            return Ok(());
        };
        ns.deliver(ids, packet, flags, offset)
    }

    /// The local sockets among the ids `select` hands to its argument, looked up while it runs,
    /// under the sockets' lock: no id is copied. `select` must not reach the namespace's sockets.
    pub(crate) fn sockets_where(
        &self,
        select: impl FnOnce(&mut dyn FnMut(&str)),
    ) -> Vec<SocketRef> {
        match self.ns.upgrade() {
            Some(ns) => ns.sockets_where(select),
            None => Vec::new(),
        }
    }

    /// [`LocalNamespace::deliver`] to sockets already looked up.
    pub(crate) fn deliver_to(
        &self,
        sockets: Vec<SocketRef>,
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        offset: Option<&str>,
    ) -> Result<(), EmitError> {
        match self.ns.upgrade() {
            Some(ns) => ns.deliver_to(sockets, packet, flags, offset),
            None => Ok(()),
        }
    }

    /// Sends `packet` to the local sockets `ids`, each asked for an acknowledgement within
    /// `flags.timeout`; their answers go to `acks`. Returns how many sockets it was sent to.
    pub fn deliver_with_ack(
        &self,
        ids: &[SocketId],
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        acks: &mpsc::UnboundedSender<AckEvent>,
    ) -> Result<usize, EmitError> {
        let Some(ns) = self.ns.upgrade() else {
            return Ok(0);
        };
        ns.deliver_with_ack(ids, packet, flags, acks)
    }

    /// Makes a local socket join rooms (for `socketsJoin` and another node's `REMOTE_JOIN`).
    /// A join past the socket's bound (`max_rooms_per_socket`) is refused with a warning: the
    /// socket joins none of the rooms.
    pub fn join(&self, id: &str, rooms: Vec<Room>) {
        if let Some(s) = self.socket(id)
            && let Err(e) = s.join(rooms)
        {
            tracing::warn!("socket {id} of {} joined no room: {e}", self.name);
        }
    }

    /// Makes a local socket leave a room.
    pub fn leave(&self, id: &str, room: &str) {
        if let Some(s) = self.socket(id) {
            s.leave(room);
        }
    }

    /// Disconnects a local socket.
    pub fn disconnect(&self, id: &str, close: bool) {
        if let Some(s) = self.socket(id) {
            if close {
                s.disconnect_and_close();
            } else {
                s.disconnect();
            }
        }
    }

    /// Describes a local socket.
    pub fn fetch(&self, id: &str) -> Option<RemoteSocketData> {
        let s = self.socket(id)?;
        Some(RemoteSocketData {
            id: s.id().to_owned(),
            handshake: s.handshake().clone(),
            rooms: s.rooms(),
            data: s.data_value(),
        })
    }

    /// Hands an event another node sent with `serverSideEmit` to this namespace's
    /// [`on_server_side`](crate::Namespace::on_server_side) handlers; `data` is the event name
    /// followed by the arguments. With `ack`, the first handler that answers sends its answer
    /// there (one answer per node, as the reference).
    pub fn server_side_event(&self, data: Args, ack: Option<ServerSideAck>) {
        if let Some(ns) = self.ns.upgrade() {
            ns.server_side_event(data, ack);
        }
    }

    /// Reports a room event to the namespace's listeners.
    pub fn room_event(&self, event: RoomEvent) {
        if let Some(ns) = self.ns.upgrade() {
            ns.room_event(&event);
        }
    }
}
