//! Waiting for the other nodes: the answers to this node's requests and the acknowledgements of
//! its broadcasts, by request id.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use sockeye_server::adapter::{AckEvent, BroadcastAcks, RemoteSocketData, Room};
use sockeye_server::{AckError, AdapterError, Args, DataError, Value};
use tokio::sync::{mpsc, oneshot};

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

struct Waiting {
    /// Answers expected from the other nodes.
    expected: usize,
    received: usize,
    acc: Pending,
    done: Option<oneshot::Sender<Pending>>,
}

#[derive(Default)]
struct Table {
    requests: HashMap<String, Waiting>,
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
            Waiting {
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
        if req.received >= req.expected
            && let Some(mut req) = table.requests.remove(id)
            && let Some(done) = req.done.take()
        {
            let _ = done.send(req.acc);
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
