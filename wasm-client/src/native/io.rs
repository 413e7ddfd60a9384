//! The IO task of one native driver: it owns the client's [`Transports`] and its one timer. It
//! performs the transmits the driver sends it, in order, and hands every transport input and the
//! timer's expiry to the driver (a [`Feed`]: the driver's `with`, which pumps).

use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use proto::Instant;
use proto::client::{Client, EngineId};
use proto::engine::client::Transmit;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Sleep;

use super::TransportOptions;
use super::transports::{Input, Transports};

/// What the IO task feeds its inputs to: the driver.
pub(crate) trait Feed {
    /// Runs one input against the client, then pumps.
    fn with(&self, f: impl FnOnce(&mut Client, Instant));
    /// The timer fired.
    fn timeout(&self);
}

/// What the driver tells its IO task.
pub(crate) enum ToIo {
    /// Perform this.
    Transmit(EngineId, Transmit),
    /// The client's next deadline (`poll_timeout`): the one timer is armed for it.
    Deadline(Option<Instant>),
    /// Every handle is gone, and the client was told to close: finish what it asks for (the
    /// close packet), then end.
    Released,
}

/// The instant the core's clock counts from.
fn epoch() -> std::time::Instant {
    static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Now, on the core's clock (milliseconds).
pub(crate) fn now() -> Instant {
    Instant::from_millis(u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// The core's `at` as a tokio instant.
fn deadline(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(epoch() + Duration::from_millis(at.as_millis()))
}

/// How long the client may take to close once the last handle is gone (the close packet POSTed
/// behind a POST in flight, on polling).
const LINGER: Duration = Duration::from_secs(2);

/// What woke the task.
enum Wake {
    Io(Option<ToIo>),
    Transport(Input),
    Timer,
}

/// Runs the IO of `driver` until its last handle is gone and its client closed. The task holds
/// the driver, so that a closing client still hears its transports (a POST in flight, which the
/// close packet waits behind).
pub(crate) async fn run<D: Feed>(
    driver: D,
    options: TransportOptions,
    mut rx: UnboundedReceiver<ToIo>,
) {
    let mut transports = Transports::new(
        options.connector,
        &options.authority,
        &options.extra_headers,
    )
    .per_message_deflate(options.per_message_deflate);
    let mut timer = Box::pin(tokio::time::sleep_until(tokio::time::Instant::now()));
    let mut armed = false;
    // Set once released: the time by which the client must have closed.
    let mut linger: Option<Pin<Box<Sleep>>> = None;
    let perform = |transports: &mut Transports<_>,
                   timer: &mut Pin<Box<Sleep>>,
                   msg,
                   armed: &mut bool,
                   linger: &mut Option<Pin<Box<Sleep>>>| match msg {
        ToIo::Deadline(at) => {
            *armed = at.is_some();
            if let Some(at) = at {
                timer.as_mut().reset(deadline(at));
            }
        }
        ToIo::Transmit(id, transmit) => transports.transmit(id, transmit),
        ToIo::Released => *linger = Some(Box::pin(tokio::time::sleep(LINGER))),
    };
    loop {
        if linger.is_some() && !armed && transports.is_idle() && !transports.has_outgoing() {
            break;
        }
        let lingering = linger.is_some();
        let wake = tokio::select! {
            // Transmits first: a frame the client wrote goes out before the next input is read.
            biased;
            msg = rx.recv() => Wake::Io(msg),
            input = transports.next() => Wake::Transport(input),
            () = timer.as_mut(), if armed => Wake::Timer,
            () = async { if let Some(l) = linger.as_mut() { l.as_mut().await } }, if lingering => break,
        };
        match wake {
            Wake::Io(Some(msg)) => {
                perform(&mut transports, &mut timer, msg, &mut armed, &mut linger);
                while let Ok(msg) = rx.try_recv() {
                    perform(&mut transports, &mut timer, msg, &mut armed, &mut linger);
                }
                if let Some(input) = transports.flush().await {
                    driver.with(|c, now| input.apply(c, now));
                }
            }
            // The driver holds the sender, and this task the driver.
            Wake::Io(None) => break,
            Wake::Transport(input) => driver.with(|c, now| input.apply(c, now)),
            Wake::Timer => {
                armed = false;
                driver.timeout();
            }
        }
    }
}
