//! What both Redis adapters are, whatever their format: a [`Node`] is this server's side of one
//! namespace in a cluster. Rooms are kept here (a [`MemoryAdapter`] inside, which also does
//! connection state recovery for this node's sockets unless the transport keeps sessions in
//! Redis), and everything that concerns other nodes goes through Redis.
//!
//! The two formats, `@socket.io/redis-adapter`'s pub/sub one (`crate::pubsub`) and
//! `socket.io-adapter`'s `ClusterAdapter` one over sharded pub/sub or streams (`crate::cluster`),
//! ask the other nodes the same things and answer them the same way; they differ in their
//! channels and envelopes, which a [`Transport`] gives:
//!
//! - here: the node, and what a transport provides;
//! - `adapter`: the `Adapter` impl: local calls, and requests to the other nodes;
//! - `serve`: answering the other nodes' requests, within bounds;
//! - `requests`: waiting for the other nodes' answers.

// `Transport` is the crate's own: only its adapters are nodes, and users name them by their
// aliases, so the bound on `Node<T>`'s methods is narrower than the type on purpose.
#![allow(private_bounds, reason = "the transport is sealed: see above")]

mod adapter;
pub(crate) mod requests;
pub(crate) mod serve;

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sockeye_server::adapter::{
    Adapter as _, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
    PersistedSession, RemoteSocketData, RestoredSession, Room, SocketId,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::{AdapterError, Args, EmitError, Value};

use crate::inbox::{Incoming, inbox};
use crate::limits::{Limits, Refusals};
use crate::link::{Link, Sub};
use requests::Requests;
use serve::Slots;

/// One namespace's adapter on this node, over the transport `T`: [`RedisAdapter`] or
/// [`ClusterAdapter`].
///
/// [`RedisAdapter`]: crate::RedisAdapter
/// [`ClusterAdapter`]: crate::ClusterAdapter
pub struct Node<T> {
    this: Weak<Node<T>>,
    /// This node's rooms and sockets.
    pub(crate) inner: MemoryAdapter,
    pub(crate) local: LocalNamespace,
    pub(crate) link: Link,
    /// This node's id on the channels (`uid`).
    pub(crate) uid: String,
    /// How long to wait for the other nodes' answers (`requestsTimeout`).
    pub(crate) requests_timeout: Duration,
    pub(crate) limits: Limits,
    /// This node's requests waiting for the other nodes.
    pub(crate) requests: Requests,
    /// The requests from other nodes being answered.
    pub(crate) answering: Slots,
    /// Messages that could not be read.
    pub(crate) malformed: Refusals,
    /// Sockets left out of answers to other nodes' `fetchSockets`.
    pub(crate) cut: Refusals,
    pub(crate) transport: T,
}

/// What this node asks the other nodes, for the transport to write in its format. Ids are
/// made by [`Transport::random_id`].
pub(crate) enum Request<'a> {
    /// `socketsJoin` on the sockets `opts` selects.
    Join {
        opts: &'a BroadcastOptions,
        rooms: &'a [Room],
    },
    /// `socketsLeave`.
    Leave {
        opts: &'a BroadcastOptions,
        rooms: &'a [Room],
    },
    /// `disconnectSockets`.
    Disconnect {
        opts: &'a BroadcastOptions,
        close: bool,
    },
    /// `allRooms` (when [`Transport::ROOMS_REQUEST`]).
    AllRooms { id: String },
    /// `fetchSockets`.
    Fetch {
        id: String,
        opts: &'a BroadcastOptions,
    },
    /// `serverSideEmit`, with an id when it waits for answers; `data` is the arguments.
    ServerSideEmit {
        id: Option<String>,
        data: Vec<Value>,
    },
    /// A broadcast with acknowledgements: `packet` as [`wire::event_packet`](crate::wire::event_packet) writes it.
    BroadcastWithAck {
        id: String,
        packet: Value,
        opts: &'a BroadcastOptions,
    },
}

/// What this node answers another node's request `id`, for the transport to write in its
/// format.
pub(crate) enum Reply {
    /// This node's sockets for a `fetchSockets` (an array of socket descriptions).
    Fetched { id: String, sockets: Value },
    /// This node's handlers' answer to a `serverSideEmit` (its first argument, if any).
    ServerSideAck { id: String, arg: Option<Value> },
    /// How many of this node's clients a broadcast with acknowledgements reached.
    ClientCount { id: String, count: usize },
    /// One client's acknowledgement of it (its first argument, if any).
    Ack { id: String, arg: Option<Value> },
}

/// What differs between the adapters: the channels, the envelopes and their encoding, and where
/// broadcasts and sessions go. Every function that writes publishes through `node.link`.
pub(crate) trait Transport: Sized + Send + Sync + 'static {
    /// The adapter's name, for `Debug`.
    const NAME: &'static str;
    /// Whether the format has a rooms request (`allRooms`); without one, the rooms of every
    /// node are those of the sockets a `fetchSockets` finds.
    const ROOMS_REQUEST: bool;

    /// A random id for a node or a request, in the Node adapter's form.
    fn random_id() -> String;

    /// What this node subscribes to from the start, made and undone with it.
    fn subscriptions(&self, uid: &str) -> Vec<Sub>;

    /// The channel every node subscribes to, and whether it is sharded: its subscribers are the
    /// nodes (`PUBSUB NUMSUB` or `SHARDNUMSUB`).
    fn nodes_channel(&self) -> (&str, bool);

    /// How long an encoded answer is, to keep a `fetchSockets` answer under the message size
    /// bound.
    fn encoded_len(&self, value: &Value) -> usize;

    /// Sends `request` to the other nodes.
    fn send(node: &Node<Self>, request: Request<'_>);

    /// Answers the node `requester`.
    fn reply(node: &Node<Self>, requester: &str, reply: Reply);

    /// Sends a broadcast to the sockets `opts` selects, on every node unless `opts.flags.local`,
    /// this one included.
    fn broadcast(
        node: &Node<Self>,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<(), EmitError>;

    /// Reads a message received on a subscription and acts on it.
    fn on_incoming(node: &Node<Self>, msg: Incoming);

    /// A local socket `id` joined `room`.
    fn joined(node: &Node<Self>, id: &str, room: &str) {
        let _ = (node, id, room);
    }

    /// A local socket left `room`, which may now be empty.
    fn left(node: &Node<Self>, room: &str) {
        let _ = (node, room);
    }

    /// What to unsubscribe from at close beyond [`Transport::subscriptions`].
    fn closing(&self) -> Vec<Sub> {
        Vec::new()
    }

    /// See [`Adapter::join_restored`](sockeye_server::adapter::Adapter::join_restored); the
    /// in-memory adapter keeps the packets by default.
    fn join_restored(node: &Node<Self>, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        node.join_restored_here(id, rooms, offset)
    }

    /// Keeps a disconnected socket's session; in the in-memory adapter by default.
    fn persist_session(node: &Node<Self>, session: PersistedSession) {
        node.inner.persist_session(session);
    }

    /// Gives back a kept session; from the in-memory adapter by default.
    fn restore_session<'a>(
        node: &'a Node<Self>,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'a, Result<Option<RestoredSession>, AdapterError>> {
        node.inner.restore_session(pid, offset)
    }
}

impl<T: Transport> std::fmt::Debug for Node<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(T::NAME)
            .field("nsp", &self.local.name())
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// What a node is made of, besides its transport.
pub(crate) struct Parts {
    pub(crate) client: redis::Client,
    pub(crate) local: LocalNamespace,
    /// This node's rooms (with or without connection state recovery).
    pub(crate) inner: MemoryAdapter,
    pub(crate) requests_timeout: Duration,
    pub(crate) limits: Limits,
}

impl<T: Transport> Node<T> {
    /// Starts a node: its Redis connection task, subscribed, and the task that hands it what
    /// arrives (call inside the tokio runtime).
    pub(crate) fn start(parts: Parts, transport: T) -> Arc<Self> {
        let Parts {
            client,
            local,
            inner,
            requests_timeout,
            limits,
        } = parts;
        let uid = T::random_id();
        let (tx, mut rx) = inbox(&limits, local.name());
        let link = Link::spawn(client, transport.subscriptions(&uid), Some(tx));
        let node = Arc::new_cyclic(|this| Node {
            this: this.clone(),
            inner,
            local,
            link,
            uid,
            requests_timeout,
            answering: Slots::new(&limits),
            limits,
            requests: Requests::default(),
            malformed: Refusals::new("message (malformed or undeliverable)"),
            cut: Refusals::new("part of a fetchSockets answer"),
            transport,
        });
        let weak = Arc::downgrade(&node);
        crate::link::spawn(async move {
            while let Some(msg) = rx.recv().await {
                let Some(node) = weak.upgrade() else {
                    return;
                };
                T::on_incoming(&node, msg);
            }
        });
        node
    }

    /// This node's id on the channels (`uid`).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// This node, held: for tasks that answer later.
    pub(crate) fn me(&self) -> Option<Arc<Self>> {
        self.this.upgrade()
    }

    /// How many nodes share the namespace (this one counts); this node only when Redis cannot
    /// say.
    pub(crate) async fn count_servers(&self, timeout: Duration) -> usize {
        let (channel, sharded) = self.transport.nodes_channel();
        self.link
            .server_count(channel, sharded, timeout, self.local.name())
            .await
    }

    /// Joins a restored socket to its rooms, giving back what the in-memory adapter kept for it.
    pub(crate) fn join_restored_here(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        let late = self.inner.join_restored(id, rooms, offset);
        for room in rooms {
            T::joined(self, id, room);
        }
        late
    }

    /// Whether no local socket is in `room`.
    pub(crate) fn room_is_empty(&self, room: &str) -> bool {
        self.inner
            .sockets(&HashSet::from([room.to_owned()]))
            .is_empty()
    }

    /// This node's sockets that `opts` selects: in its rooms (all without rooms) and in none of
    /// its `except` rooms.
    pub(crate) fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        self.inner
            .sockets(&opts.rooms)
            .into_iter()
            .filter(|sid| {
                opts.except.is_empty()
                    || self
                        .inner
                        .socket_rooms(sid)
                        .iter()
                        .all(|r| !opts.except.contains(r))
            })
            .collect()
    }

    /// This node's sockets that `opts` selects, described.
    pub(crate) fn fetch(&self, opts: &BroadcastOptions) -> Vec<RemoteSocketData> {
        self.select(opts)
            .iter()
            .filter_map(|sid| self.local.fetch(sid))
            .collect()
    }
}
