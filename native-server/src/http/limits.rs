//! [`serve_with`](super::serve_with)'s connection caps: how many connections are open at once, in
//! all and per client address, and the answer a connection past them gets.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use hyper_util::rt::TokioIo;

use super::ResponseBody;
use super::answers::{TOO_MANY_CONNECTIONS, is_ws_upgrade, over_capacity};

/// How long a refused connection has to send the request that its refusal answers: it holds a
/// descriptor meanwhile, so far less than the header timeout.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(1);

/// The most refused connections being answered at once; past it they are closed unanswered, so
/// that a flood past the caps costs a bounded number of descriptors for at most a second each.
const MAX_REFUSALS_IN_FLIGHT: usize = 256;

/// The open connections of one [`serve_with`](super::serve_with), in all and per address.
#[derive(Debug)]
pub(super) struct ConnLimits {
    max: usize,
    max_per_ip: usize,
    open: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    refusing: AtomicUsize,
}

/// One open connection, counted until it is dropped.
#[derive(Debug)]
pub(super) struct ConnPermit {
    limits: Arc<ConnLimits>,
    ip: IpAddr,
}

impl ConnLimits {
    pub(super) fn new(max: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(ConnLimits {
            max,
            max_per_ip,
            open: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
            refusing: AtomicUsize::new(0),
        })
    }

    /// Counts a new connection from `peer`, or `None` when it is past a cap.
    pub(super) fn admit(self: &Arc<Self>, peer: SocketAddr) -> Option<ConnPermit> {
        // IPv6 by its /64, as the handshake rate: one host has a whole /64 to pick from.
        let ip = super::config::rate_key(peer.ip());
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let from_ip = per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.max_per_ip || self.open.load(Ordering::Acquire) >= self.max {
            return None;
        }
        per_ip.insert(ip, from_ip + 1);
        self.open.fetch_add(1, Ordering::AcqRel);
        Some(ConnPermit {
            limits: self.clone(),
            ip,
        })
    }

    /// Answers one request of a connection past the caps with 503 (the Engine.IO error body for
    /// an Engine.IO request) and closes it, within [`REFUSAL_DEADLINE`].
    pub(super) fn refuse<I>(self: &Arc<Self>, stream: I, peer: SocketAddr)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        tracing::debug!("connection from {peer} refused: over the connection caps");
        if self.refusing.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSALS_IN_FLIGHT {
            self.refusing.fetch_sub(1, Ordering::AcqRel);
            return; // dropped: closed unanswered
        }
        let limits = self.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(|req: Request<hyper::body::Incoming>| {
                std::future::ready(Ok::<_, std::convert::Infallible>(refusal(&req)))
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(REFUSAL_DEADLINE, conn).await;
            limits.refusing.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// The answer to a request on a connection past the caps: the reference's error body when the
/// request is Engine.IO's (it has `EIO` in its query), the message as text otherwise.
fn refusal<B>(req: &Request<B>) -> Response<ResponseBody> {
    let engine_io = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("EIO=")));
    let mut res = over_capacity(is_ws_upgrade(req), engine_io, TOO_MANY_CONNECTIONS);
    res.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    res
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        self.limits.open.fetch_sub(1, Ordering::AcqRel);
        let mut per_ip = self.limits.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                // Forgotten at zero: the table holds only addresses with connections open.
                per_ip.remove(&self.ip);
            }
        }
    }
}
