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

/// How long the last transmits may take once the last handle is gone (the close packet POSTed
/// on polling, the close frame on a WebSocket).
const LINGER: Duration = Duration::from_secs(2);

/// What woke the task.
enum Wake {
    Io(Option<ToIo>),
    Transport(Input),
    Timer,
}

/// Runs the IO of a driver until its last handle is gone (`driver` gives it, while it lives).
pub(crate) async fn run<D: Feed>(
    driver: impl Fn() -> Option<D>,
    options: TransportOptions,
    mut rx: UnboundedReceiver<ToIo>,
) {
    let mut transports = Transports::new(
        options.connector,
        &options.authority,
        &options.extra_headers,
    );
    let mut timer = Box::pin(tokio::time::sleep_until(tokio::time::Instant::now()));
    let mut armed = false;
    let perform = |transports: &mut Transports<_>,
                   timer: &mut Pin<Box<Sleep>>,
                   msg,
                   armed: &mut bool| match msg {
        ToIo::Deadline(at) => {
            *armed = at.is_some();
            if let Some(at) = at {
                timer.as_mut().reset(deadline(at));
            }
        }
        ToIo::Transmit(id, transmit) => transports.transmit(id, transmit),
    };
    loop {
        let wake = tokio::select! {
            // Transmits first: a frame the client wrote goes out before the next input is read.
            biased;
            msg = rx.recv() => Wake::Io(msg),
            input = transports.next() => Wake::Transport(input),
            () = timer.as_mut(), if armed => Wake::Timer,
        };
        let alive = match wake {
            Wake::Io(Some(msg)) => {
                perform(&mut transports, &mut timer, msg, &mut armed);
                while let Ok(msg) = rx.try_recv() {
                    perform(&mut transports, &mut timer, msg, &mut armed);
                }
                match transports.flush().await {
                    Some(input) => feed(&driver, |d| d.with(|c, now| input.apply(c, now))),
                    None => true,
                }
            }
            Wake::Io(None) => false,
            Wake::Transport(input) => feed(&driver, |d| d.with(|c, now| input.apply(c, now))),
            Wake::Timer => {
                armed = false;
                feed(&driver, D::timeout)
            }
        };
        if !alive {
            break;
        }
    }
    // Every handle is gone: what the last command queued (the close) goes out.
    while let Ok(msg) = rx.try_recv() {
        perform(&mut transports, &mut timer, msg, &mut armed);
    }
    let _ = tokio::time::timeout(LINGER, async {
        let _ = transports.flush().await;
        // A close packet POSTed on polling gets a moment to arrive.
        while !transports.is_idle() {
            if let Input::Post(..) = transports.next().await {
                break;
            }
        }
    })
    .await;
}

/// Runs `f` on the driver unless it is gone; whether it was there.
fn feed<D: Feed>(driver: &impl Fn() -> Option<D>, f: impl FnOnce(&D)) -> bool {
    match driver() {
        Some(d) => {
            f(&d);
            true
        }
        None => false,
    }
}
