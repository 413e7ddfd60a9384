//! One soak client: a core [`proto::client::Client`] on the loadgen's tokio driver, WebSocket
//! only, reconnecting with the reference's defaults. It emits numbered `c2s(client, seq)` with
//! an ack through the retry queue (`retries` + `ackTimeout`) and records which seqs were acked;
//! it records every `s2c(seq)` the server sends it and every connection, recovered or not.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use proto::client::{Config, Event};
use proto::socket::Args;
use proto::socket::client::{Auth, Emit, Event as SocketEvent};
use proto::socket::packet::Nsp;
use tokio::sync::watch;

use crate::driver::{Driver, now};

/// The phases the soak's clients go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Emit one `c2s` per interval.
    Run,
    /// Emit no more; keep receiving and retrying.
    Quiet,
    /// Close and report.
    Done,
}

/// What the soak watches while it waits for the clients to settle.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Progress {
    pub(crate) connected: bool,
    /// `c2s` emitted and not yet acked (nor given up).
    pub(crate) outstanding: u64,
    /// The largest `s2c` seq seen.
    pub(crate) s2c_max: u64,
}

/// What one client saw, at the end.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// `c2s` seqs emitted: 1 to `sent`.
    pub(crate) sent: u64,
    /// The seqs whose ack came back (with the right seq in it).
    pub(crate) acked: Vec<u64>,
    /// Acks that came back with another seq than the emit's.
    pub(crate) ack_mismatches: u64,
    /// Emits whose retries ran out (`operation has timed out`).
    pub(crate) gave_up: u64,
    /// Acks that failed with `socket has been disconnected` (the queue should never see one).
    pub(crate) ack_disconnected: u64,
    /// Every `s2c` seq delivered, duplicates included.
    pub(crate) s2c: Vec<u64>,
    /// `s2c` events whose arguments did not parse.
    pub(crate) s2c_malformed: u64,
    /// Socket.IO connections (the first included), and how many were recovered.
    pub(crate) connects: u64,
    pub(crate) recovered: u64,
    /// For each reconnection that was NOT recovered: the largest `s2c` seq seen before it.
    pub(crate) not_recovered: Vec<u64>,
    /// `connect_error`s.
    pub(crate) connect_errors: u64,
    /// The connections' story, to explain a loss: `T ms: connect|disconnect ...` lines.
    pub(crate) history: Vec<String>,
}

/// `s2c`'s seq from `["s2c",SEQ]` or, with recovery's offset, `["s2c",SEQ,"OFFSET"]`.
pub(crate) fn parse_s2c(args: &str) -> Option<u64> {
    let rest = args.strip_prefix(r#"["s2c","#)?.trim_start();
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    let after = rest.get(end..)?.trim_start();
    if after.starts_with(']') || after.starts_with(',') {
        rest.get(..end)?.parse().ok()
    } else {
        None
    }
}

/// The seq in an ack's `[SEQ]`.
fn parse_ack(args: &str) -> Option<u64> {
    args.strip_prefix('[')?
        .strip_suffix(']')?
        .trim()
        .parse()
        .ok()
}

/// Runs client `index` until the phase is [`Phase::Done`].
#[allow(
    clippy::too_many_arguments,
    reason = "the task's whole context, passed once"
)]
pub(crate) async fn run(
    index: u64,
    mut config: Config,
    addr: SocketAddr,
    interval: Duration,
    first_emit: Duration,
    mut phase: watch::Receiver<Phase>,
    progress: Rc<RefCell<Vec<Progress>>>,
) -> Outcome {
    config
        .engine
        .url
        .query
        .push(("client".to_owned(), index.to_string()));
    let slot = usize::try_from(index).unwrap_or(usize::MAX);
    let mut d = Driver::new(config, addr, super::seed(index));
    let socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
    let mut out = Outcome::default();
    let mut pending: HashMap<u64, u64> = HashMap::new();
    let mut events = Vec::new();
    let tick = tokio::time::sleep(first_emit);
    tokio::pin!(tick);
    let mut current = *phase.borrow();
    loop {
        d.pump(&mut events).await;
        for e in events.drain(..) {
            let Event::Manager(e) = e else { continue };
            match e {
                SocketEvent::Connect { .. } => {
                    out.connects += 1;
                    let m = d.client.manager();
                    let seen = progress.borrow().get(slot).map_or(0, |p| p.s2c_max);
                    out.history.push(format!(
                        "{} ms: connect sid {} recovered {} (s2c max {seen}, offset {})",
                        crate::driver::since_epoch().as_millis(),
                        m.sid(socket).unwrap_or("-"),
                        m.is_recovered(socket),
                        m.offset(socket).unwrap_or("-"),
                    ));
                    if d.client.manager().is_recovered(socket) {
                        out.recovered += 1;
                    } else if out.connects > 1 {
                        let seen = progress.borrow().get(slot).map_or(0, |p| p.s2c_max);
                        out.not_recovered.push(seen);
                    }
                }
                SocketEvent::ConnectError { .. } => out.connect_errors += 1,
                SocketEvent::Disconnect { reason, .. } => {
                    let seen = progress.borrow().get(slot).map_or(0, |p| p.s2c_max);
                    out.history.push(format!(
                        "{} ms: disconnect {} (s2c max {seen}, offset {})",
                        crate::driver::since_epoch().as_millis(),
                        reason.as_str(),
                        d.client.manager().offset(socket).unwrap_or("-"),
                    ));
                }
                SocketEvent::Event { args, .. } => match parse_s2c(args.text()) {
                    Some(seq) => {
                        out.s2c.push(seq);
                        if let Some(p) = progress.borrow_mut().get_mut(slot) {
                            p.s2c_max = p.s2c_max.max(seq);
                        }
                    }
                    None => out.s2c_malformed += 1,
                },
                SocketEvent::Ack { handle, result, .. } => {
                    let Some(seq) = pending.remove(&handle.get()) else {
                        continue;
                    };
                    match result {
                        Ok(args) if parse_ack(args.text()) == Some(seq) => out.acked.push(seq),
                        Ok(_) => out.ack_mismatches += 1,
                        Err(proto::socket::client::AckError::Timeout) => out.gave_up += 1,
                        Err(_) => out.ack_disconnected += 1,
                    }
                }
                _ => {}
            }
        }
        if let Some(p) = progress.borrow_mut().get_mut(slot) {
            p.connected = d.client.manager().is_connected(socket);
            p.outstanding = pending.len() as u64;
        }
        if current == Phase::Done {
            break;
        }
        let emitting = current == Phase::Run;
        tokio::select! {
            () = d.wait() => {}
            () = tick.as_mut(), if emitting => {
                tick.as_mut().reset(tokio::time::Instant::now() + interval);
                out.sent += 1;
                let seq = out.sent;
                // An error is not reachable with these arguments; it would count as unacked.
                let handle = Args::from_json(format!(r#"["c2s",{index},{seq}]"#), Vec::new())
                    .ok()
                    .and_then(|args| {
                        d.client.emit(now(), socket, Emit::new(args).with_ack()).ok().flatten()
                    });
                if let Some(handle) = handle {
                    pending.insert(handle.get(), seq);
                }
            }
            changed = phase.changed() => {
                current = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Done };
            }
        }
    }
    d.client.close(now());
    d.pump(&mut events).await;
    out
}
