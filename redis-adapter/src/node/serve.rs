//! Answering the other nodes' requests, once the transport has read them: this node's sockets
//! for a `fetchSockets`, its handlers' answer to a `serverSideEmit`, its clients' answers to a
//! broadcast with acknowledgements. Whoever can publish a request gets no more than the
//! [`Limits`] allow: answers are cut to size, and requests that hold state wait for a slot.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sockeye_server::Value;
use sockeye_server::adapter::{AckEvent, Adapter as _, BroadcastOptions, BroadcastPacket};
use tokio::sync::oneshot;

use super::{Node, Reply, Transport};
use crate::limits::{Limits, Refusals};
use crate::wire;

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

/// Room left under the message size bound for what surrounds the sockets in a `fetchSockets`
/// answer (request id, type, uid, namespace).
const ANSWER_ENVELOPE: usize = 1024;

impl<T: Transport> Node<T> {
    /// Answers the node `requester`'s `fetchSockets` (request `id`): this node's sockets that
    /// `opts` selects, with the parts `limits.fetch_fields` allows, at most
    /// `limits.max_fetch_sockets` of them and, as the transport encodes them, within the message
    /// size bound (larger would be refused by the requester). A cut answer is logged.
    pub(crate) fn answer_fetch(&self, requester: &str, id: String, opts: &BroadcastOptions) {
        let limits = &self.limits;
        let budget = limits.max_message_size.saturating_sub(ANSWER_ENVELOPE);
        let (mut sockets, mut size) = (Vec::new(), 0usize);
        let selected = self.select(opts);
        for sid in &selected {
            let Some(socket) = self.local.fetch(sid) else {
                continue;
            };
            let socket = wire::encode_socket(&socket, &limits.fetch_fields);
            size = size.saturating_add(self.transport.encoded_len(&socket));
            if sockets.len() >= limits.max_fetch_sockets || size > budget {
                self.cut.refuse(
                    self.local.name(),
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
        let sockets = Value::Array(sockets);
        T::reply(self, requester, Reply::Fetched { id, sockets });
    }

    /// Hands the node `requester`'s server-side emit (its arguments `data`) to this node's
    /// handlers; with a request `id` (which holds a slot until answered), answers with the
    /// handlers' first argument (the Node adapters' callbacks take one) unless they do not answer
    /// within `requestsTimeout`.
    pub(crate) fn answer_server_side_emit(
        &self,
        requester: &str,
        id: Option<String>,
        data: Option<&Value>,
    ) {
        let Some(Ok(data)) = data.and_then(Value::as_array).map(wire::args) else {
            self.malformed
                .refuse(self.local.name(), &"malformed serverSideEmit");
            return;
        };
        let Some(id) = id else {
            self.local.server_side_event(data, None);
            return;
        };
        let Some(slot) = self.answering.take(self.local.name()) else {
            return;
        };
        let Some(node) = self.me() else { return };
        let (tx, rx) = oneshot::channel();
        self.local.server_side_event(data, Some(tx));
        let (requester, timeout) = (requester.to_owned(), self.requests_timeout);
        crate::link::spawn(async move {
            let _slot = slot;
            if let Ok(Ok(args)) = tokio::time::timeout(timeout, rx).await {
                let arg = wire::first_arg(&args);
                T::reply(&node, &requester, Reply::ServerSideAck { id, arg });
            }
        });
    }

    /// Sends the node `requester`'s broadcast with acknowledgements (request `id`) to this
    /// node's sockets, then sends back how many clients it reached and each client's answer; the
    /// request holds a slot (taken before any work) until the last answer, and waits no longer
    /// than `max_remote_ack_timeout`.
    pub(crate) fn answer_broadcast_with_ack(
        &self,
        requester: &str,
        id: String,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) {
        let Some(slot) = self.answering.take(self.local.name()) else {
            return;
        };
        let mut opts = self.limits.remote_ack_opts(opts);
        opts.flags.local = true;
        let mut acks = match self.inner.broadcast_with_ack(packet, opts) {
            Ok(acks) => acks,
            Err(e) => {
                self.malformed.refuse(
                    self.local.name(),
                    &format_args!("remote broadcast with ack not delivered: {e}"),
                );
                return;
            }
        };
        let Some(node) = self.me() else { return };
        let requester = requester.to_owned();
        crate::link::spawn(async move {
            let _slot = slot;
            while let Some(ev) = acks.events.recv().await {
                let reply = match ev {
                    AckEvent::ClientCount(count) => Reply::ClientCount {
                        id: id.clone(),
                        count,
                    },
                    AckEvent::Response(Ok(args)) => Reply::Ack {
                        id: id.clone(),
                        arg: wire::first_arg(&args),
                    },
                    AckEvent::Response(Err(_)) | AckEvent::ServerCount(_) => continue,
                };
                T::reply(&node, &requester, reply);
            }
        });
    }
}
