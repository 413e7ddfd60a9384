//! What the pub/sub and cluster adapters do alike around requests between nodes: waiting for
//! the other nodes' answers and acknowledgements, and answering theirs from this node. Only
//! the messages' envelopes differ, so those stay with each adapter.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use sockeye_server::adapter::{
    AckEvent, Adapter as _, BroadcastAcks, BroadcastOptions, LocalNamespace, MemoryAdapter,
    RemoteSocketData, Room, SocketId,
};
use sockeye_server::{AckError, AdapterError, Args, DataError, Value};
use tokio::sync::{mpsc, oneshot};

use crate::inbox::{InboxReceiver, Incoming};
use crate::limits::{Limits, Refusals};
use crate::wire;

/// What a request gathers from the answers, starting with this node's part.
pub(crate) enum Pending {
    Rooms(HashSet<Room>),
    Fetch(Vec<RemoteSocketData>),
    ServerSide(Vec<Args>),
}

impl Pending {
    pub(crate) fn into_rooms(self) -> Vec<Room> {
        match self {
            Pending::Rooms(rooms) => rooms.into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn into_sockets(self) -> Vec<RemoteSocketData> {
        match self {
            Pending::Fetch(sockets) => sockets,
            _ => Vec::new(),
        }
    }

    pub(crate) fn into_answers(self) -> Vec<Args> {
        match self {
            Pending::ServerSide(answers) => answers,
            _ => Vec::new(),
        }
    }
}

struct Request {
    /// Answers expected from the other nodes.
    expected: usize,
    received: usize,
    acc: Pending,
    done: Option<oneshot::Sender<Pending>>,
}

#[derive(Default)]
struct Table {
    requests: HashMap<String, Request>,
    acks: HashMap<String, mpsc::UnboundedSender<AckEvent>>,
}

/// What a response answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// How many clients a broadcast with acknowledgements reached on the answering node.
    ClientCount,
    /// One client's acknowledgement of such a broadcast.
    Ack,
    /// A request's result (rooms, sockets or server-side acknowledgement).
    Result,
}

/// The requests and broadcasts with acknowledgements of one adapter that wait for other
/// nodes, by request id.
#[derive(Clone, Default)]
pub(crate) struct Requests(Arc<Mutex<Table>>);

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

impl Requests {
    /// Sends a request with `publish`, then waits up to `timeout` for `expected` answers (the
    /// other nodes); with no other node, `acc` as it is, without sending.
    pub(crate) async fn request(
        &self,
        id: String,
        expected: usize,
        acc: Pending,
        timeout: Duration,
        publish: impl FnOnce(),
    ) -> Result<Pending, AdapterError> {
        if expected == 0 {
            return Ok(acc);
        }
        let (done, rx) = oneshot::channel();
        lock(&self.0).requests.insert(
            id.clone(),
            Request {
                expected,
                received: 0,
                acc,
                done: Some(done),
            },
        );
        publish();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(acc)) => Ok(acc),
            _ => {
                let req = lock(&self.0).requests.remove(&id);
                Err(AdapterError::Timeout {
                    received: req.map_or(0, |r| r.received),
                    expected,
                })
            }
        }
    }

    /// Takes a response, whose `data` names its request by `requestId`; `server_side_field` is
    /// the field that holds the argument of a server-side acknowledgement.
    pub(crate) fn on_response(&self, kind: Answer, data: &Value, server_side_field: &str) {
        let Some(id) = data.get("requestId").and_then(Value::as_str) else {
            return;
        };
        let mut table = lock(&self.0);
        if let Some(acks) = table.acks.get(id) {
            let event = match kind {
                Answer::ClientCount => {
                    let n = match data.get("clientCount") {
                        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
                        _ => 0,
                    };
                    AckEvent::ClientCount(usize::try_from(n).unwrap_or(0))
                }
                Answer::Ack => AckEvent::Response(wire::one_arg(data.get("packet")).map_err(|e| {
                    AckError::Deserialize(<DataError as serde::de::Error>::custom(e))
                })),
                Answer::Result => return,
            };
            let _ = acks.send(event);
            return;
        }
        let Some(req) = table.requests.get_mut(id) else {
            return;
        };
        req.received += 1;
        match &mut req.acc {
            Pending::Rooms(set) => set.extend(wire::room_list(data.get("rooms"))),
            Pending::Fetch(list) => {
                if let Some(Value::Array(sockets)) = data.get("sockets") {
                    list.extend(sockets.iter().filter_map(wire::decode_socket));
                }
            }
            Pending::ServerSide(list) => match wire::one_arg(data.get(server_side_field)) {
                Ok(args) => list.push(args),
                Err(e) => tracing::warn!("server-side answer dropped: {e}"),
            },
        }
        if req.received >= req.expected {
            if let Some(mut req) = table.requests.remove(id) {
                if let Some(done) = req.done.take() {
                    let _ = done.send(req.acc);
                }
            }
        }
    }

    /// Sends a broadcast with acknowledgements with `publish` and gathers its events: this
    /// node's (`local`), the number of servers once `servers` tells it, and the other nodes'
    /// answers until the acknowledgement `timeout`.
    pub(crate) fn broadcast_with_ack(
        &self,
        id: String,
        mut local: BroadcastAcks,
        publish: impl FnOnce(),
        servers: impl Future<Output = usize> + Send + 'static,
        timeout: Duration,
    ) -> BroadcastAcks {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.0).acks.insert(id.clone(), tx.clone());
        publish();
        let local_tx = tx.clone();
        crate::link::spawn(async move {
            while let Some(ev) = local.events.recv().await {
                let _ = local_tx.send(ev);
            }
        });
        let table: Weak<Mutex<Table>> = Arc::downgrade(&self.0);
        crate::link::spawn(async move {
            let _ = tx.send(AckEvent::ServerCount(servers.await));
            drop(tx);
            // The Node adapters forget the request after the ack timeout, too.
            tokio::time::sleep(timeout).await;
            if let Some(table) = table.upgrade() {
                lock(&table).acks.remove(&id);
            }
        });
        BroadcastAcks {
            servers: None,
            events: rx,
        }
    }
}

/// The requests from other nodes this node is answering, at most `max_remote_requests` at once.
#[derive(Debug)]
pub(crate) struct Slots {
    used: Arc<AtomicUsize>,
    max: usize,
    refused: Refusals,
}

/// One request being answered; frees its place when dropped (however its task ends).
#[derive(Debug)]
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Slots {
    pub(crate) fn new(limits: &Limits) -> Self {
        Slots {
            used: Arc::new(AtomicUsize::new(0)),
            max: limits.max_remote_requests,
            refused: Refusals::new("request from another node"),
        }
    }

    /// A place for one more request of namespace `nsp`'s adapter, or `None` (counted, logged)
    /// when `max` are being answered.
    pub(crate) fn take(&self, nsp: &str) -> Option<Slot> {
        if self.used.fetch_add(1, Ordering::Relaxed) >= self.max {
            self.used.fetch_sub(1, Ordering::Relaxed);
            self.refused.refuse(
                nsp,
                &format_args!("{} requests being answered already", self.max),
            );
            return None;
        }
        Some(Slot(self.used.clone()))
    }
}

/// Sends back this node's part of another node's broadcast with acknowledgements (request
/// `id`): its client count, then each client's answer, as the fields `publish` is given;
/// `slot` is held until the last answer.
pub(crate) fn forward_acks(
    mut acks: BroadcastAcks,
    id: String,
    slot: Slot,
    publish: impl Fn(Answer, Vec<(String, Value)>) + Send + 'static,
) {
    crate::link::spawn(async move {
        let _slot = slot;
        while let Some(ev) = acks.events.recv().await {
            let mut data = vec![("requestId".to_owned(), Value::String(id.clone()))];
            match ev {
                AckEvent::ClientCount(n) => {
                    data.push(("clientCount".to_owned(), wire::num(n as u64)));
                    publish(Answer::ClientCount, data);
                }
                AckEvent::Response(Ok(args)) => {
                    if let Some(arg) = wire::first_arg(&args) {
                        data.push(("packet".to_owned(), arg));
                    }
                    publish(Answer::Ack, data);
                }
                AckEvent::Response(Err(_)) | AckEvent::ServerCount(_) => {}
            }
        }
    });
}

/// Hands another node's server-side emit to this node's handlers; with a request `id` (and
/// the `slot` it holds until answered), `answer` gets the handlers' first argument (the Node
/// adapters' callbacks take one) unless they do not answer within `timeout`.
pub(crate) fn server_side_event(
    local: &LocalNamespace,
    data: Args,
    request: Option<(String, Slot)>,
    timeout: Duration,
    answer: impl FnOnce(String, Option<Value>) + Send + 'static,
) {
    let Some((id, slot)) = request else {
        local.server_side_event(data, None);
        return;
    };
    let (tx, rx) = oneshot::channel();
    local.server_side_event(data, Some(tx));
    crate::link::spawn(async move {
        let _slot = slot;
        if let Ok(Ok(args)) = tokio::time::timeout(timeout, rx).await {
            answer(id, wire::first_arg(&args));
        }
    });
}

/// This node's sockets that `opts` selects: in its rooms (all without rooms) and in none of
/// its `except` rooms.
pub(crate) fn select(inner: &MemoryAdapter, opts: &BroadcastOptions) -> Vec<SocketId> {
    inner
        .sockets(&opts.rooms)
        .into_iter()
        .filter(|sid| {
            opts.except.is_empty()
                || inner
                    .socket_rooms(sid)
                    .iter()
                    .all(|r| !opts.except.contains(r))
        })
        .collect()
}

/// This node's sockets that `opts` selects, described.
pub(crate) fn fetch(
    inner: &MemoryAdapter,
    local: &LocalNamespace,
    opts: &BroadcastOptions,
) -> Vec<RemoteSocketData> {
    select(inner, opts)
        .iter()
        .filter_map(|sid| local.fetch(sid))
        .collect()
}

/// Room left under the message size bound for what surrounds the sockets in a `fetchSockets`
/// answer (request id, type, uid, namespace).
const ANSWER_ENVELOPE: usize = 1024;

/// This node's answer to another node's `fetchSockets`: its sockets that `opts` selects, with
/// the parts `limits.fetch_fields` allows, at most `limits.max_fetch_sockets` of them and, as
/// `encoded_len` measures them, within the message size bound (larger would be refused by the
/// requester). Whoever can publish a request gets no more than that; a cut answer is logged
/// through `cut`.
pub(crate) fn fetch_answer(
    inner: &MemoryAdapter,
    local: &LocalNamespace,
    opts: &BroadcastOptions,
    limits: &Limits,
    cut: &Refusals,
    encoded_len: fn(&Value) -> usize,
) -> Value {
    let budget = limits.max_message_size.saturating_sub(ANSWER_ENVELOPE);
    let (mut sockets, mut size) = (Vec::new(), 0usize);
    let selected = select(inner, opts);
    for sid in &selected {
        let Some(socket) = local.fetch(sid) else {
            continue;
        };
        let socket = wire::encode_socket(&socket, &limits.fetch_fields);
        size = size.saturating_add(encoded_len(&socket));
        if sockets.len() >= limits.max_fetch_sockets || size > budget {
            cut.refuse(
                local.name(),
                &format_args!(
                    "{} of {} sockets sent (bounds: {} sockets, {} bytes)",
                    sockets.len(),
                    selected.len(),
                    limits.max_fetch_sockets,
                    limits.max_message_size
                ),
            );
            break;
        }
        sockets.push(socket);
    }
    Value::Array(sockets)
}

/// Hands what an adapter's link receives to the adapter while the adapter lives.
pub(crate) async fn receive<A>(
    adapter: Weak<A>,
    mut rx: InboxReceiver,
    on_incoming: fn(&A, Incoming),
) {
    while let Some(msg) = rx.recv().await {
        let Some(adapter) = adapter.upgrade() else {
            return;
        };
        on_incoming(&adapter, msg);
    }
}
