//! Broadcasting: `io.to(room).emit(..)` and friends (the reference's `BroadcastOperator`).

use std::time::Duration;

use proto::socket::args::{Args, de, ser::ToArgs};
use serde::de::DeserializeOwned;

use crate::socketio::adapter::{
    AckEvent, BroadcastOptions, BroadcastPacket, RemoteSocketData, Room,
};
use crate::socketio::error::{AckError, AdapterError, BroadcastAckError, EmitError};
use crate::socketio::event::check_event_name;
use crate::socketio::handshake::Handshake;
use crate::socketio::io::{Namespace, SocketIo};

pub use crate::socketio::adapter::IntoRooms;

/// How long `fetch_sockets` waits for other nodes when no timeout is set (the reference's
/// `requestsTimeout`, 5 s).
const DEFAULT_REQUESTS_TIMEOUT: Duration = Duration::from_secs(5);

/// Selects sockets of a namespace by room and flags, then emits to them or acts on them. Made by
/// `to`, `in_`, `except`, `local`, `volatile`, `timeout` on a namespace, the server or a socket.
#[derive(Clone, Debug)]
pub struct BroadcastOperator {
    ns: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace) -> Self {
        BroadcastOperator {
            ns,
            opts: BroadcastOptions::default(),
        }
    }

    /// Targets rooms (a socket in several gets the event once).
    #[must_use]
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    #[must_use]
    pub fn in_(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Leaves out the sockets in these rooms (a socket id is a room).
    #[must_use]
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.except.extend(rooms.into_rooms());
        self
    }

    /// Only this node's sockets.
    #[must_use]
    pub fn local(mut self) -> Self {
        self.opts.flags.local = true;
        self
    }

    /// Drops the event for sockets that cannot send it right now; never stored for recovery.
    #[must_use]
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = true;
        self
    }

    /// The `compress` flag (on by default): with `false` every receiver gets the event
    /// uncompressed whatever its size, on a WebSocket with `per_message_deflate` and in a polling
    /// response of only such packets (`http_compression`). Carried to other nodes in the
    /// adapter's `flags.compress`.
    #[must_use]
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = Some(compress);
        self
    }

    /// The acknowledgement deadline for [`BroadcastOperator::emit_with_ack`] (and the request
    /// timeout for `fetch_sockets`).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.flags.timeout = Some(timeout);
        self
    }

    fn packet<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<BroadcastPacket, EmitError> {
        check_event_name(event)?;
        Ok(BroadcastPacket {
            nsp: self.ns.nsp().clone(),
            args: data.to_event_args(event)?,
        })
    }

    /// Emits `event` to the selected sockets, encoded once for all; `data` as
    /// [`SocketRef::emit`](crate::SocketRef::emit) takes it.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let packet = self.packet(event, data)?;
        self.ns.adapter().broadcast(packet, self.opts.clone())
    }

    /// Emits `event` and collects one acknowledgement per selected socket, each read as `R`. It
    /// ends when every socket (on every node) answered, or at the [`timeout`](Self::timeout) with
    /// [`BroadcastAckError`] holding the answers that did come. Without a timeout it waits until
    /// each socket answered or disconnected.
    pub async fn emit_with_ack<T, R>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<R>, BroadcastAckError>
    where
        T: ToArgs + ?Sized,
        R: DeserializeOwned,
    {
        let fail = |error: AckError, responses: Vec<Args>| BroadcastAckError { error, responses };
        let packet = self
            .packet(event, data)
            .map_err(|e| fail(AckError::Emit(e), Vec::new()))?;
        let mut acks = self
            .ns
            .adapter()
            .broadcast_with_ack(packet, self.opts.clone())
            .map_err(|e| fail(AckError::Emit(e), Vec::new()))?;
        let deadline = self
            .opts
            .flags
            .timeout
            .map(|t| tokio::time::Instant::now() + t);
        // `None` until the adapter says how many servers will report.
        let mut servers_expected = acks.servers;
        let mut servers_reported = 0usize;
        let mut expected = 0usize;
        let mut done = 0usize;
        let mut responses: Vec<Args> = Vec::new();
        let mut failed: Option<AckError> = None;
        while servers_expected.is_none_or(|n| servers_reported < n) || done < expected {
            let next = async {
                match deadline {
                    Some(at) => tokio::time::timeout_at(at, acks.events.recv()).await.ok(),
                    None => Some(acks.events.recv().await),
                }
            };
            match next.await {
                Some(Some(AckEvent::ClientCount(n))) => {
                    servers_reported += 1;
                    expected += n;
                }
                Some(Some(AckEvent::ServerCount(n))) => servers_expected = Some(n),
                Some(Some(AckEvent::Response(Ok(args)))) => {
                    done += 1;
                    responses.push(args);
                }
                Some(Some(AckEvent::Response(Err(e)))) => {
                    done += 1;
                    failed.get_or_insert(e);
                }
                // Every sender is gone: nothing more will come.
                Some(None) => {
                    failed.get_or_insert(AckError::Disconnected);
                    break;
                }
                None => {
                    failed = Some(AckError::Timeout);
                    break;
                }
            }
        }
        if let Some(error) = failed {
            return Err(fail(error, responses));
        }
        let mut out = Vec::with_capacity(responses.len());
        for args in &responses {
            match de::from_args(args) {
                Ok(r) => out.push(r),
                Err(e) => return Err(fail(AckError::Deserialize(e), responses)),
            }
        }
        Ok(out)
    }

    /// Describes the selected sockets, on every node (`fetchSockets`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let timeout = self.opts.flags.timeout.unwrap_or(DEFAULT_REQUESTS_TIMEOUT);
        let data = self
            .ns
            .adapter()
            .fetch_sockets(self.opts.clone(), timeout)
            .await?;
        Ok(data
            .into_iter()
            .map(|data| RemoteSocket {
                ns: self.ns.clone(),
                data,
            })
            .collect())
    }

    /// Makes the selected sockets join rooms (`socketsJoin`). A socket that would then be in more
    /// rooms than `max_rooms_per_socket` joins none of them, with a warning; the others join.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        self.ns
            .adapter()
            .add_sockets(self.opts.clone(), rooms.into_rooms());
    }

    /// Makes the selected sockets leave rooms (`socketsLeave`).
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.ns
            .adapter()
            .del_sockets(self.opts.clone(), rooms.into_rooms());
    }

    /// Disconnects the selected sockets; with `close`, their whole connection
    /// (`disconnectSockets`).
    pub fn disconnect_sockets(&self, close: bool) {
        self.ns
            .adapter()
            .disconnect_sockets(self.opts.clone(), close);
    }
}

/// A socket as `fetch_sockets` returns it, maybe on another node: its description, and actions
/// that go through the adapter.
#[derive(Clone, Debug)]
pub struct RemoteSocket {
    ns: Namespace,
    data: RemoteSocketData,
}

impl RemoteSocket {
    /// The socket id.
    pub fn id(&self) -> &str {
        &self.data.id
    }

    /// Its handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.data.handshake
    }

    /// Its rooms.
    pub fn rooms(&self) -> &[Room] {
        &self.data.rooms
    }

    /// Its `data` as a `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        self.data.data.deserialize_into().ok()
    }

    fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.ns.clone()).to(self.data.id.clone())
    }

    /// Emits to this socket.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.operator().emit(event, data)
    }

    /// Makes it join rooms (on its node, which refuses a join past its `max_rooms_per_socket`
    /// with a warning, as [`BroadcastOperator::sockets_join`]).
    pub fn join(&self, rooms: impl IntoRooms) {
        self.operator().sockets_join(rooms);
    }

    /// Makes it leave rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.operator().sockets_leave(rooms);
    }

    /// Disconnects it; with `close`, its whole connection.
    pub fn disconnect(&self, close: bool) {
        self.operator().disconnect_sockets(close);
    }
}

/// A namespace's broadcasts: every socket of it, or those `to`/`except` select.
impl Namespace {
    fn op(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// Targets rooms.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.op().to(rooms)
    }

    /// Same as [`Namespace::to`].
    pub fn in_(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.op().to(rooms)
    }

    /// Leaves out the sockets in these rooms.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.op().except(rooms)
    }

    /// Only this node's sockets.
    pub fn local(&self) -> BroadcastOperator {
        self.op().local()
    }

    /// Volatile broadcast.
    pub fn volatile(&self) -> BroadcastOperator {
        self.op().volatile()
    }

    /// A broadcast with the `compress` flag (`namespace.compress(false)`).
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.op().compress(compress)
    }

    /// With an acknowledgement deadline.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.op().timeout(timeout)
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.op().emit(event, data)
    }

    /// Emits to every socket and collects their acknowledgements.
    pub async fn emit_with_ack<T, R>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<R>, BroadcastAckError>
    where
        T: ToArgs + ?Sized,
        R: DeserializeOwned,
    {
        self.op().emit_with_ack(event, data).await
    }

    /// Describes every socket, on every node.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.op().fetch_sockets().await
    }

    /// Makes every socket join rooms.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        self.op().sockets_join(rooms)
    }

    /// Makes every socket leave rooms.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.op().sockets_leave(rooms)
    }

    /// Disconnects every socket; with `close`, their connections.
    pub fn disconnect_sockets(&self, close: bool) {
        self.op().disconnect_sockets(close)
    }
}

/// The broadcasts of `/`.
impl SocketIo {
    /// Targets rooms of `/`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().to(rooms)
    }

    /// Same as [`SocketIo::to`].
    pub fn in_(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().to(rooms)
    }

    /// Every socket of `/` but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().except(rooms)
    }

    /// This node's sockets of `/`.
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// Volatile broadcast on `/`.
    pub fn volatile(&self) -> BroadcastOperator {
        self.sockets().volatile()
    }

    /// A broadcast on `/` with the `compress` flag (`io.compress(false)`).
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.sockets().compress(compress)
    }

    /// A broadcast on `/` with an acknowledgement deadline.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.sockets().timeout(timeout)
    }

    /// Emits to every socket of `/`.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.sockets().emit(event, data)
    }

    /// Emits to every socket of `/` and collects their acknowledgements.
    pub async fn emit_with_ack<T, R>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<Vec<R>, BroadcastAckError>
    where
        T: ToArgs + ?Sized,
        R: DeserializeOwned,
    {
        self.sockets().emit_with_ack(event, data).await
    }

    /// Describes every socket of `/`.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.sockets().fetch_sockets().await
    }

    /// Makes every socket of `/` join rooms.
    pub fn sockets_join(&self, rooms: impl IntoRooms) {
        self.sockets().sockets_join(rooms)
    }

    /// Makes every socket of `/` leave rooms.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.sockets().sockets_leave(rooms)
    }

    /// Disconnects every socket of `/`.
    pub fn disconnect_sockets(&self, close: bool) {
        self.sockets().disconnect_sockets(close)
    }
}
