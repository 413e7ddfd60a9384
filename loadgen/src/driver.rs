//! The tokio driver of one core [`Client`]: it owns the client's transports (sockeye-client's
//! native [`Transports`], the native client's own, over connections whose bytes [`Counted`]
//! counts) and its one timer, and pumps the client as every driver does: after each input, drain
//! `poll_transmit` (and perform) and `poll_event` (and hand over) until both are empty, then arm
//! the timer for `poll_timeout`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;

use proto::Instant;
use proto::client::{Client, Config, Event};
use sockeye_client::transports::{BoxFuture, Connect, Input, Transports};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::stats::OpenErrors;
use crate::wire::Counted;

/// The instant the core's clock counts from.
fn epoch() -> std::time::Instant {
    static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Time since the clock's epoch.
pub(crate) fn since_epoch() -> std::time::Duration {
    epoch().elapsed()
}

/// Now, on the core's clock (milliseconds).
pub(crate) fn now() -> Instant {
    Instant::from_millis(u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// The core's `at` as a tokio instant.
fn deadline(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(epoch() + std::time::Duration::from_millis(at.as_millis()))
}

/// Plain TCP connections to the server, counted on the wire.
pub(crate) struct Tcp(pub(crate) SocketAddr);

impl Connect for Tcp {
    type Stream = Counted<TcpStream>;

    fn connect(&self) -> BoxFuture<io::Result<Counted<TcpStream>>> {
        let addr = self.0;
        Box::pin(async move {
            let stream = TcpStream::connect(addr).await?;
            let _ = stream.set_nodelay(true);
            Ok(Counted(stream))
        })
    }
}

/// One client and its transports.
pub(crate) struct Driver {
    /// The protocol state machine.
    pub(crate) client: Client,
    transports: Transports<Tcp>,
    timer: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    /// WebSockets that failed to open, by cause (the core only learns that they closed).
    pub(crate) open_errors: OpenErrors,
}

impl Driver {
    /// A client for `config`, connecting at once to `addr` (the config's host, resolved).
    pub(crate) fn new(config: Config, addr: SocketAddr, seed: u64) -> Self {
        Driver {
            client: Client::new(now(), config, seed),
            transports: Transports::new(Tcp(addr), &addr.to_string(), &[]),
            timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            armed: None,
            open_errors: OpenErrors::default(),
        }
    }

    /// Offers permessage-deflate in its WebSocket handshakes (`--per-message-deflate`).
    #[must_use]
    pub(crate) fn per_message_deflate(mut self, on: bool) -> Self {
        let offer = on.then(sockeye_client::transports::DeflateOffer::default);
        self.transports = self.transports.per_message_deflate(offer);
        self
    }

    /// Nothing in flight: no WebSocket, no request, no timer. A closed client is done.
    pub(crate) fn is_idle(&self) -> bool {
        self.transports.is_idle() && self.client.poll_timeout().is_none()
    }

    /// Performs what the client asks for and collects its events into `events`, until the client
    /// has nothing more to say; then re-arms the timer.
    pub(crate) async fn pump(&mut self, events: &mut Vec<Event>) {
        loop {
            let mut transmitted = false;
            while let Some((id, t)) = self.client.poll_transmit() {
                transmitted = true;
                self.transports.transmit(id, t);
            }
            while let Some(e) = self.client.poll_event() {
                events.push(e);
            }
            if self.transports.has_outgoing() {
                if let Some(failed) = self.transports.flush().await {
                    failed.apply(&mut self.client, now());
                }
                // A failed write was reported to the client: pump what it answers.
                continue;
            }
            if !transmitted {
                break;
            }
        }
        let at = self.client.poll_timeout();
        if at != self.armed {
            self.armed = at;
            if let Some(at) = at {
                self.timer.as_mut().reset(deadline(at));
            }
        }
    }

    /// Waits for the next transport event or the timer and hands it to the client (call
    /// [`Driver::pump`] next).
    pub(crate) async fn wait(&mut self) {
        let armed = self.armed.is_some();
        tokio::select! {
            input = self.transports.next() => {
                if let Input::WsOpenFailed(_, e) = &input {
                    let started = e
                        .started
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
                    self.open_errors.count(e.kind, started);
                }
                input.apply(&mut self.client, now());
            }
            () = self.timer.as_mut(), if armed => {
                self.armed = None;
                self.client.handle_timeout(now());
            }
        }
    }
}
