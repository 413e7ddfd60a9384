//! The `Adapter` of a node: rooms are this node's own (the in-memory adapter's), and what
//! concerns other nodes is sent through the transport, then waited for when it has answers.

use std::collections::HashSet;
use std::time::Duration;

use sockeye_server::adapter::{
    Adapter, BroadcastAcks, BroadcastOptions, BroadcastPacket, PersistedSession, RemoteSocketData,
    RestoredSession, Room, SocketId,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::{AdapterError, Args, EmitError, JoinError};

use super::requests::Pending;
use super::{Node, Request, Transport};
use crate::wire;

impl<T: Transport> Node<T> {
    /// Sends the other nodes the request that `request` makes with a new id, then waits up to
    /// `timeout` for each one's answer, gathered onto this node's part `acc`.
    async fn ask<'a>(
        &'a self,
        request: impl FnOnce(String) -> Request<'a>,
        acc: Pending,
        timeout: Duration,
    ) -> Result<Pending, AdapterError> {
        let others = self
            .count_servers(self.requests_timeout)
            .await
            .saturating_sub(1);
        let id = T::random_id();
        let request = request(id.clone());
        let publish = || T::send(self, request);
        self.requests
            .request(id, others, acc, timeout, publish)
            .await
    }

    /// Sends the other nodes a command on the sockets `opts` selects, unless it is local.
    fn command(&self, opts: &BroadcastOptions, request: Request<'_>) {
        if !opts.flags.local {
            T::send(self, request);
        }
    }
}

impl<T: Transport> Adapter for Node<T> {
    /// Unsubscribes, so that the other nodes stop counting this one.
    fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        let mut subs = self.transport.subscriptions(&self.uid);
        subs.extend(self.transport.closing());
        for sub in subs {
            self.link.subscribe(sub, false);
        }
        Box::pin(async { Ok(()) })
    }

    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(async move { Ok(self.count_servers(self.requests_timeout).await) })
    }

    fn add_all(&self, id: &str, rooms: &[Room]) {
        self.inner.add_all(id, rooms);
        for room in rooms {
            T::joined(self, id, room);
        }
    }

    fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        // Checked and joined under the in-memory adapter's one lock.
        self.inner.add_all_bounded(id, rooms, max)?;
        for room in rooms {
            T::joined(self, id, room);
        }
        Ok(())
    }

    fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        T::join_restored(self, id, rooms, offset)
    }

    fn del(&self, id: &str, room: &str) {
        self.inner.del(id, room);
        T::left(self, room);
    }

    fn del_all(&self, id: &str) {
        let rooms = self.inner.socket_rooms(id);
        self.inner.del_all(id);
        for room in rooms {
            T::left(self, &room);
        }
    }

    fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.inner.socket_rooms(id)
    }

    fn rooms(&self) -> Vec<Room> {
        self.inner.rooms()
    }

    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(async move {
            if !T::ROOMS_REQUEST {
                // The rooms of every socket of every node.
                let sockets = self
                    .fetch_sockets(BroadcastOptions::default(), self.requests_timeout)
                    .await?;
                let mut rooms: HashSet<Room> = self.inner.rooms().into_iter().collect();
                rooms.extend(sockets.into_iter().flat_map(|s| s.rooms));
                return Ok(rooms.into_iter().collect());
            }
            let rooms = self.inner.rooms().into_iter().collect();
            let request = |id| Request::AllRooms { id };
            Ok(self
                .ask(request, Pending::Rooms(rooms), self.requests_timeout)
                .await?
                .into_rooms())
        })
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId> {
        self.inner.sockets(rooms)
    }

    fn broadcast(&self, packet: BroadcastPacket, opts: BroadcastOptions) -> Result<(), EmitError> {
        T::broadcast(self, packet, opts)
    }

    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<BroadcastAcks, EmitError> {
        if opts.flags.local {
            return self.inner.broadcast_with_ack(packet, opts);
        }
        // Written before anything is sent, so that a failure sends nothing anywhere.
        let packet_value = wire::event_packet(packet.nsp.as_str(), &packet.args)
            .map_err(|e| wire::emit_error(&e))?;
        let local = self.inner.broadcast_with_ack(packet, opts.clone())?;
        let id = T::random_id();
        let timeout = opts.flags.timeout.unwrap_or(self.requests_timeout);
        let (channel, sharded) = self.transport.nodes_channel();
        let (link, channel) = (self.link.clone(), channel.to_owned());
        let nsp = self.local.name().to_owned();
        let servers = async move { link.server_count(&channel, sharded, timeout, &nsp).await };
        let request = Request::BroadcastWithAck {
            id: id.clone(),
            packet: packet_value,
            opts: &opts,
        };
        let publish = || T::send(self, request);
        Ok(self
            .requests
            .broadcast_with_ack(id, local, publish, servers, timeout))
    }

    fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.command(
            &opts,
            Request::Join {
                opts: &opts,
                rooms: &rooms,
            },
        );
        self.inner.add_sockets(opts, rooms);
    }

    fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.command(
            &opts,
            Request::Leave {
                opts: &opts,
                rooms: &rooms,
            },
        );
        self.inner.del_sockets(opts, rooms);
    }

    fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) {
        self.command(&opts, Request::Disconnect { opts: &opts, close });
        self.inner.disconnect_sockets(opts, close);
    }

    /// Waits for the other nodes the broadcast's own `timeout` when it has one, else
    /// `requestsTimeout` (as the Node adapters); the server's default `timeout` is not used.
    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>> {
        let timeout = opts.flags.timeout.unwrap_or(self.requests_timeout);
        Box::pin(async move {
            let local = self.fetch(&opts);
            if opts.flags.local {
                return Ok(local);
            }
            let request = |id| Request::Fetch { id, opts: &opts };
            Ok(self
                .ask(request, Pending::Fetch(local), timeout)
                .await?
                .into_sockets())
        })
    }

    fn server_side_emit(
        &self,
        data: Args,
        ack: Option<Duration>,
    ) -> BoxFuture<'_, Result<Vec<Args>, AdapterError>> {
        Box::pin(async move {
            let data = wire::values(&data).map_err(|e| AdapterError::Other(e.to_string()))?;
            let Some(timeout) = ack else {
                T::send(self, Request::ServerSideEmit { id: None, data });
                return Ok(Vec::new());
            };
            let request = |id| Request::ServerSideEmit { id: Some(id), data };
            Ok(self
                .ask(request, Pending::ServerSide(Vec::new()), timeout)
                .await?
                .into_answers())
        })
    }

    fn persist_session(&self, session: PersistedSession) {
        T::persist_session(self, session);
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        T::restore_session(self, pid, offset)
    }
}
