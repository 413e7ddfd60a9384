//! Faults: transport cuts, partitions, black holes, a muted uplink, the server down or restarted.

use super::*;

impl Sim {
    pub(super) fn schedule_fault(&mut self, at: Instant, fault: Fault) {
        if at <= self.now {
            self.apply_fault(fault);
            self.pump();
        } else {
            self.seq += 1;
            self.queue.insert((at, self.seq), Delivery::Fault(fault));
        }
    }

    /// At `at` (now, if past), every open connection breaks: the WebSocket drops, HTTP requests in
    /// flight fail with a network error, on both ends.
    pub(in crate::tests) fn cut_transport(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::CutAll);
    }

    /// At `at` (now, if past), every open WebSocket breaks (HTTP requests are untouched).
    pub(in crate::tests) fn cut_websocket(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::CutWs);
    }

    /// From `from` to `to` the hosts cannot reach each other: open connections break at `from`,
    /// what is sent in the window is lost, and new requests fail (after a round trip).
    pub(in crate::tests) fn partition(&mut self, from: Instant, to: Instant) {
        self.partitions.push(Window { from, to });
        self.schedule_fault(from, Fault::CutAll);
    }

    /// From `from` to `to` the link is dead and nobody is told (a pulled cable): what either end
    /// sends is held, as TCP retransmits it, and arrives one latency after `to`. An end that gives
    /// up meanwhile (a ping timeout) closes, and what arrives later finds nobody listening.
    pub(in crate::tests) fn blackhole(&mut self, from: Instant, to: Instant) {
        self.blackholes.push(Window { from, to });
    }

    /// From `from` to `to` what the client sends is silently lost; the server's sends still arrive.
    pub(in crate::tests) fn mute_client(&mut self, from: Instant, to: Instant) {
        self.mutes.push(Window { from, to });
    }

    /// At `at` the server process dies: its connections break, its sessions (and the recovery store)
    /// are forgotten, and requests are refused until [`Sim::server_up`].
    pub(in crate::tests) fn server_down(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerDown);
    }

    /// At `at` the server accepts connections again.
    pub(in crate::tests) fn server_up(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerUp);
    }

    /// At `at` the server restarts: down and up at once.
    pub(in crate::tests) fn restart_server(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerDown);
        self.schedule_fault(at, Fault::ServerUp);
    }

    /// The transports the server accepts for new sessions from now on (a proxy that starts
    /// refusing WebSockets, say).
    pub(in crate::tests) fn set_server_transports(&mut self, transports: Vec<Transport>) {
        self.engine_config.transports = transports;
    }

    pub(super) fn apply_fault(&mut self, fault: Fault) {
        self.record_wire(u64::MAX, false, format!("fault {fault:?}"), false);
        match fault {
            Fault::CutAll => self.cut(false, true),
            Fault::CutWs => self.cut(true, true),
            Fault::ServerDown => {
                self.cut(false, false);
                self.sessions.clear();
                self.app.forget();
                self.server_up = false;
                self.restarts.push(self.now);
            }
            Fault::ServerUp => self.server_up = true,
        }
    }

    /// Breaks open connections; `notify_server` is false when the server process is gone.
    pub(super) fn cut(&mut self, only_ws: bool, notify_server: bool) {
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                let open = !c.client_done || !c.server_done;
                !c.cut && open && (!only_ws || c.kind == Kind::Ws)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            c.cut = true;
            let notify_client = !c.client_done;
            let notify_srv = notify_server && c.reached && !c.server_done;
            c.client_done = true;
            c.server_done = true;
            if notify_srv {
                self.server_conn_lost(id);
            }
            if notify_client {
                self.client_conn_lost(id);
            }
        }
    }

    pub(super) fn server_conn_lost(&mut self, id: ConnId) {
        let Some(sid) = self.conns.get(&id).and_then(|c| c.sid.clone()) else {
            return;
        };
        let now = self.now;
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        if srv.parked_get == Some(id) {
            srv.parked_get = None;
            srv.conn.handle_poll_get_aborted(now);
        }
        if srv.ws == Some(id) {
            srv.ws = None;
            srv.conn.handle_ws_close(now);
        }
    }

    pub(super) fn client_conn_lost(&mut self, id: ConnId) {
        let Some(c) = self.conns.get(&id) else {
            return;
        };
        let (kind, owner) = (c.kind, c.owner);
        let now = self.now;
        let reset = || TransportError::Network(String::from("connection reset"));
        match owner {
            Owner::Client(eid) => match kind {
                Kind::Get => {
                    forget(&mut self.client_get, eid, id);
                    self.client.handle_poll_response(now, eid, Err(reset()));
                }
                Kind::Post => {
                    forget(&mut self.client_post, eid, id);
                    self.client.handle_post_response(now, eid, Err(reset()));
                }
                Kind::Ws => {
                    forget(&mut self.client_ws, eid, id);
                    self.client.handle_ws_close(now, eid);
                }
            },
            Owner::Raw => {
                let event = match kind {
                    Kind::Ws => RawEvent::Closed,
                    Kind::Get | Kind::Post => RawEvent::Response(Err(reset())),
                };
                self.raw_log.push((now, id, event));
            }
        }
    }
}
