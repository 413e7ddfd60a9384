//! The scripted server application: namespaces, acks, server emits and a minimal connection state
//! recovery store.

use super::*;

/// The scripted server application.
#[derive(Debug, Default)]
pub(in crate::tests) struct App {
    /// Namespaces that accept a CONNECT; others are refused with `Invalid namespace`.
    pub(in crate::tests) namespaces: Vec<Nsp>,
    /// Events (by name) the application leaves unanswered, this many more times (`u32::MAX`:
    /// always). Every other event that asks for an ack is acked with its arguments.
    pub(in crate::tests) ignore: BTreeMap<String, u32>,
    /// Connection state recovery: how long a disconnected session may be restored.
    pub(super) recovery: Option<Duration>,
    /// Recoverable sessions by pid.
    pub(super) persisted: BTreeMap<String, Persisted>,
    /// The pid of each joined socket.
    pub(super) live: BTreeMap<(Sid, Nsp), String>,
    /// The pid of the last socket accepted on each namespace: where the application's emits go.
    pub(super) last_pid: BTreeMap<Nsp, String>,
    /// Every event emitted with an offset, oldest first (the reference adapter's packet list).
    pub(super) stored: Vec<Stored>,
    pub(super) next_offset: u64,
}

#[derive(Clone, Debug)]
pub(super) struct Persisted {
    pub(super) nsp: Nsp,
    pub(super) sid: String,
    /// `None` while the socket is connected.
    pub(super) disconnected_at: Option<Instant>,
}

#[derive(Clone, Debug)]
pub(super) struct Stored {
    pub(super) offset: String,
    pub(super) pid: String,
    pub(super) args: String,
}

impl App {
    /// The events the recovery session `recovery` missed, and its socket id, if it may be restored
    /// now (the reference's `restoreSession`): known, not expired, and the offset still stored.
    pub(super) fn restore(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        recovery: &Recovery,
    ) -> Option<(String, Vec<Stored>)> {
        let max = self.recovery?;
        let session = self.persisted.get(&recovery.pid)?;
        let disconnected_at = session.disconnected_at?;
        if &session.nsp != nsp || now > disconnected_at + max {
            return None;
        }
        let index = self
            .stored
            .iter()
            .position(|s| s.offset == recovery.offset)?;
        let missed = self
            .stored
            .iter()
            .skip(index + 1)
            .filter(|s| s.pid == recovery.pid)
            .cloned()
            .collect();
        let sid = session.sid.clone();
        if let Some(session) = self.persisted.get_mut(&recovery.pid) {
            session.disconnected_at = None;
        }
        Some((sid, missed))
    }

    /// A restart loses the in-memory recovery store.
    pub(super) fn forget(&mut self) {
        self.persisted.clear();
        self.live.clear();
        self.last_pid.clear();
        self.stored.clear();
    }
}

/// What [`Sim::server_emit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::tests) struct Emitted {
    /// The session it was sent on, if a socket was joined.
    pub(in crate::tests) sid: Option<Sid>,
    /// Its recovery offset, with connection state recovery on.
    pub(in crate::tests) offset: Option<String>,
}

impl Sim {
    pub(super) fn on_server_event(&mut self, sid: &Sid, event: server::Event) {
        let now = self.now;
        self.server_log.push((now, sid.clone(), event.clone()));
        let server::Event::Socket(event) = event else {
            return;
        };
        match event {
            socket_server::Event::Connect { nsp, recovery, .. } => {
                self.app_connect(sid, nsp, recovery)
            }
            socket_server::Event::Event { nsp, args, id } => {
                let name = event_name(args.text()).unwrap_or_default();
                if let Some(left) = self.app.ignore.get_mut(&name)
                    && *left > 0
                {
                    *left = left.saturating_sub(u32::from(*left != u32::MAX));
                    return;
                }
                if let (Some(id), Some(srv)) = (id, self.sessions.get_mut(sid)) {
                    let r = srv.conn.ack(now, &nsp, id, args.without_first());
                    if let Err(e) = r {
                        self.anomalies
                            .push(format!("{now:?}: the server's ack failed: {e}"));
                    }
                }
            }
            socket_server::Event::Disconnect { nsp, reason } => {
                if let Some(pid) = self.app.live.remove(&(sid.clone(), nsp)) {
                    if reason.is_recoverable() {
                        if let Some(p) = self.app.persisted.get_mut(&pid) {
                            p.disconnected_at = Some(now);
                        }
                    } else {
                        self.app.persisted.remove(&pid);
                    }
                }
            }
            _ => {}
        }
    }

    /// Accepts `/` and `/admin`; restores a recovery session when it can.
    pub(super) fn app_connect(&mut self, sid: &Sid, nsp: Nsp, recovery: Option<Recovery>) {
        let now = self.now;
        if !self.app.namespaces.contains(&nsp) {
            if let Some(srv) = self.sessions.get_mut(sid) {
                let _ = srv.conn.reject(now, &nsp, "Invalid namespace", None);
            }
            return;
        }
        if self.app.recovery.is_none() {
            let socket_id = self.random_id();
            if let Some(srv) = self.sessions.get_mut(sid) {
                let _ = srv.conn.accept(now, &nsp, socket_id, None);
            }
            return;
        }
        let restored = recovery
            .as_ref()
            .and_then(|r| self.app.restore(now, &nsp, r).map(|x| (r.pid.clone(), x)));
        let (pid, socket_id, missed) = match restored {
            Some((pid, (socket_id, missed))) => (pid, socket_id, missed),
            None => {
                let pid = self.random_id();
                let socket_id = self.random_id();
                self.app.persisted.insert(
                    pid.clone(),
                    Persisted {
                        nsp: nsp.clone(),
                        sid: socket_id.clone(),
                        disconnected_at: None,
                    },
                );
                (pid, socket_id, Vec::new())
            }
        };
        self.app
            .live
            .insert((sid.clone(), nsp.clone()), pid.clone());
        self.app.last_pid.insert(nsp.clone(), pid.clone());
        let Some(srv) = self.sessions.get_mut(sid) else {
            return;
        };
        let _ = srv.conn.accept(now, &nsp, socket_id, Some(pid));
        for stored in missed {
            let emit = socket_server::Emit::new(args_of(&stored.args)).with_offset(stored.offset);
            let _ = srv.conn.emit(now, &nsp, emit);
        }
    }

    /// The newest session with a socket joined on `nsp`.
    pub(in crate::tests) fn live_session(&self, nsp: &Nsp) -> Option<Sid> {
        self.sessions
            .iter()
            .filter(|(_, s)| s.conn.socket().is_connected(nsp))
            .max_by_key(|(_, s)| s.created)
            .map(|(sid, _)| sid.clone())
    }

    /// The server application emits `args` (no ack) to the client's socket on `nsp`. With
    /// recovery on, the event gets an offset and is stored, so a client away gets it on recovery.
    pub(in crate::tests) fn server_emit(&mut self, nsp: &str, args: &str) -> Emitted {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let sid = self.live_session(&nsp);
        let mut offset = None;
        if self.app.recovery.is_some() {
            let pid = match &sid {
                Some(sid) => self.app.live.get(&(sid.clone(), nsp.clone())).cloned(),
                None => self.app.last_pid.get(&nsp).cloned(),
            };
            if let Some(pid) = pid {
                self.app.next_offset += 1;
                let o = format!("o{}", self.app.next_offset);
                self.app.stored.push(Stored {
                    offset: o.clone(),
                    pid,
                    args: String::from(args),
                });
                offset = Some(o);
            }
        }
        if let Some(srv) = sid.as_ref().and_then(|sid| self.sessions.get_mut(sid)) {
            let mut emit = socket_server::Emit::new(args_of(args));
            if let Some(o) = &offset {
                emit = emit.with_offset(o.clone());
            }
            srv.conn
                .emit(now, &nsp, emit)
                .expect("a valid emit to a joined socket");
        }
        self.pump();
        Emitted { sid, offset }
    }

    /// The server application emits `args` to the client's socket on `nsp`, asking for an ack
    /// (within `timeout`, if given). `None` when no socket is joined there.
    pub(in crate::tests) fn server_emit_ack(
        &mut self,
        nsp: &str,
        args: &str,
        timeout: Option<Duration>,
    ) -> Option<(Sid, socket_server::AckHandle)> {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let sid = self.live_session(&nsp)?;
        let srv = self.sessions.get_mut(&sid)?;
        let emit = socket_server::Emit::new(args_of(args)).with_ack(timeout);
        let handle = srv
            .conn
            .emit(now, &nsp, emit)
            .expect("a valid emit to a joined socket")
            .expect("an ack was asked for");
        self.pump();
        Some((sid, handle))
    }

    /// The server disconnects the client's socket on `nsp` (`socket.disconnect()`).
    pub(in crate::tests) fn server_disconnect(&mut self, nsp: &str) {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        if let Some(sid) = self.live_session(&nsp)
            && let Some(srv) = self.sessions.get_mut(&sid)
        {
            let _ = srv.conn.disconnect(now, &nsp);
        }
        self.pump();
    }

    /// The server's connection for `sid`, while it lives.
    pub(in crate::tests) fn session(&self, sid: &Sid) -> Option<&Connection> {
        self.sessions.get(sid).map(|s| &s.conn)
    }

    /// How many sessions the server holds.
    pub(in crate::tests) fn session_count(&self) -> usize {
        self.sessions.len()
    }
}
