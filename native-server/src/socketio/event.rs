//! An event from a client as a whole ([`Event`]) and the acknowledgement it may ask for
//! ([`AckSender`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use proto::socket::args::{Args, de, ser::ToArgs};
use proto::socket::packet::{AckId, Nsp, RESERVED_EVENTS};
use serde::Deserialize;

use crate::socketio::cmd::{AppCmd, CmdTx};
use crate::socketio::error::{DataError, EmitError, SendError};

/// The acknowledgements the server's handlers owe their clients (asked for, neither sent nor
/// dropped): a graceful shutdown ([`SocketIo::close_gracefully`](crate::SocketIo)) waits for them.
#[derive(Debug, Default)]
pub(crate) struct OwedAcks {
    count: AtomicUsize,
    settled: tokio::sync::Notify,
}

impl OwedAcks {
    fn owe(self: &Arc<Self>) -> Arc<Self> {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.clone()
    }

    fn paid(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.settled.notify_waiters();
        }
    }

    /// Resolves once no acknowledgement is owed.
    pub(crate) async fn settled(&self) {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            settled.await;
        }
    }
}

/// One acknowledgement a client asked for: where it goes, and whether it was sent. The debt is
/// paid on sending or when the last [`AckSender`] clone goes unsent.
struct AckState {
    tx: CmdTx,
    nsp: Nsp,
    id: AckId,
    sent: AtomicBool,
    owed: Arc<OwedAcks>,
}

impl Drop for AckState {
    fn drop(&mut self) {
        if !*self.sent.get_mut() {
            self.owed.paid();
        }
    }
}

/// Answers a client's event (the reference's ack callback). Every handler of the event can take
/// one; the first [`send`](AckSender::send) answers, later ones fail with
/// [`SendError::AlreadySent`]. For an event that asked for no acknowledgement, sending does
/// nothing.
#[derive(Clone, Default)]
pub struct AckSender(Option<Arc<AckState>>);

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(state) => f
                .debug_struct("AckSender")
                .field("id", &state.id.0)
                .field("sent", &state.sent.load(Ordering::Relaxed))
                .finish(),
            None => f.write_str("AckSender(not asked for)"),
        }
    }
}

impl AckSender {
    pub(crate) fn new(tx: CmdTx, nsp: Nsp, id: AckId, owed: &Arc<OwedAcks>) -> Self {
        AckSender(Some(Arc::new(AckState {
            tx,
            nsp,
            id,
            sent: AtomicBool::new(false),
            owed: owed.owe(),
        })))
    }

    /// Whether the client asked for an acknowledgement.
    pub fn is_requested(&self) -> bool {
        self.0.is_some()
    }

    /// Sends the acknowledgement; `data` becomes its arguments (a tuple for several, `()` for
    /// none, anything else one; or [`Args`] as they are). Only the first call sends; without a
    /// request it does nothing.
    pub fn send<T: ToArgs + ?Sized>(&self, data: &T) -> Result<(), SendError> {
        let Some(state) = &self.0 else {
            return Ok(());
        };
        let args = data.to_args().map_err(SendError::Serialize)?;
        if state.sent.swap(true, Ordering::AcqRel) {
            return Err(SendError::AlreadySent);
        }
        let sent = state
            .tx
            .send(AppCmd::Ack {
                nsp: state.nsp.clone(),
                id: state.id,
                args,
            })
            .map_err(|_| SendError::Closed);
        // Queued before the shutdown a graceful close sends next on the same channel.
        state.owed.paid();
        sent
    }
}

/// An event from the client as a whole: its name, its arguments (without the name) as they came,
/// and its acknowledgement. A handler takes it with the other extractors (see
/// [`extract`](crate::extract)), or reads it in a per-packet middleware.
#[derive(Clone, Debug)]
pub struct Event {
    name: String,
    args: Args,
    ack: AckSender,
}

impl Event {
    pub(crate) fn new(name: String, args: Args, ack: AckSender) -> Self {
        Event { name, args, ack }
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, as they came (the name not among them).
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Replaces the arguments (for a middleware): `data` as an emit takes it.
    pub fn set_args<T: ToArgs + ?Sized>(
        &mut self,
        data: &T,
    ) -> Result<(), crate::socketio::error::SerializeError> {
        self.args = data.to_args()?;
        Ok(())
    }

    /// The arguments as a `T`: a tuple takes one argument per element, `()` none, anything else
    /// the first (see [`Data`](crate::extract::Data)). Borrows from the event where `T` does.
    pub fn data<'a, T: Deserialize<'a>>(&'a self) -> Result<T, DataError> {
        de::from_args(&self.args)
    }

    /// Argument `i` alone as a `T` (`null` past the end).
    pub fn arg<'a, T: Deserialize<'a>>(&'a self, i: usize) -> Result<T, DataError> {
        de::from_arg(&self.args, i)
    }

    /// Whether the client asked for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_requested()
    }

    /// The acknowledgement (it sends nothing when none was asked for).
    pub fn ack(&self) -> &AckSender {
        &self.ack
    }

    /// Sends the acknowledgement, if the client asked for one (does nothing otherwise).
    pub fn ack_with<T: ToArgs + ?Sized>(&self, data: &T) -> Result<(), SendError> {
        self.ack.send(data)
    }
}

/// Refuses the names the protocol reserves.
pub(crate) fn check_event_name(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedEventName(event.to_owned()));
    }
    Ok(())
}
