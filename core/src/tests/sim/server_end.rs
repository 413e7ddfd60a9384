//! The server end: sessions routed by the core's Engine.IO endpoint, as the tokio server routes
//! them, and their transmits.

use super::*;

impl Sim {
    pub(super) fn random_id(&mut self) -> String {
        let a = self.server_rng.next_u64().to_le_bytes();
        let b = self.server_rng.next_u64().to_le_bytes();
        let mut bytes = [0u8; 15];
        for (out, byte) in bytes.iter_mut().zip(a.iter().chain(b.iter())) {
            *out = *byte;
        }
        Sid::from_random(bytes).as_str().to_string()
    }

    pub(super) fn new_session(&mut self, transport: Transport) -> Sid {
        let sid = Sid::new(self.random_id()).expect("generated ids are valid");
        let conn = Connection::new(
            self.now,
            sid.clone(),
            transport,
            self.engine_config.clone(),
            self.socket_config,
        );
        self.next_session += 1;
        self.sessions.insert(
            sid.clone(),
            Srv {
                conn,
                created: self.next_session,
                parked_get: None,
                ws: None,
            },
        );
        sid
    }

    /// The server end of `conn` takes a request; `None` when the network broke it first.
    pub(super) fn server_takes(&mut self, conn: ConnId) -> Option<()> {
        let c = self.conns.get_mut(&conn)?;
        if c.cut {
            return None;
        }
        c.reached = true;
        Some(())
    }

    pub(super) fn refuse_http(
        &mut self,
        conn: ConnId,
        kind: Kind,
        result: Result<(), TransportError>,
    ) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.server_done = true;
        }
        let delivery = match (kind, result) {
            (Kind::Post, result) => Delivery::PostResponse { conn, result },
            (_, Ok(())) => return,
            (_, Err(e)) => Delivery::GetResponse {
                conn,
                result: Err(e),
            },
        };
        self.send_s2c(delivery);
    }

    pub(super) fn refuse_ws(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.server_done = true;
        }
        self.send_s2c(Delivery::S2cWsClose { conn });
    }

    /// Where a request goes, as the tokio server decides it: by the core's endpoint, over this
    /// server's session table (which knows each session's transport).
    pub(super) fn route(
        &self,
        url: &str,
        method: Method,
        upgrade: bool,
    ) -> Result<Route<Sid>, Refusal> {
        let query = parse_query(url.split_once('?').map_or("", |(_, q)| q));
        let request = Request::from_query(method, &query, upgrade);
        Endpoint::new(&self.engine_config.transports).route(&request, |sid| {
            let sid = Sid::new(sid).ok()?;
            let transport = self.sessions.get(&sid)?.conn.engine().transport();
            Some(Found {
                session: sid,
                transport: Some(transport),
            })
        })
    }

    pub(super) fn server_get(&mut self, conn: ConnId, url: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            let refused = TransportError::Network(String::from("connection refused"));
            return self.refuse_http(conn, Kind::Get, Err(refused));
        }
        let sid = match self.route(url, Method::Get, false) {
            Ok(Route::PollGet(sid)) => sid,
            Ok(Route::Handshake(handshake)) => match handshake.accept() {
                Ok(transport) => self.new_session(transport),
                Err(refusal) => {
                    return self.refuse_http(conn, Kind::Get, Err(refused(Some(refusal))));
                }
            },
            other => return self.refuse_http(conn, Kind::Get, Err(refused(other.err()))),
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sid = Some(sid.clone());
        }
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        let outcome = srv.conn.handle_poll_get(now);
        // Answers due to an earlier parked GET go out before this one is parked.
        self.drain_session(&sid);
        match outcome {
            Ok(GetOutcome::Respond(payload)) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.server_done = true;
                }
                self.send_s2c(Delivery::GetResponse {
                    conn,
                    result: Ok(payload.body),
                });
            }
            Ok(GetOutcome::Wait) => match self.sessions.get_mut(&sid) {
                Some(srv) => srv.parked_get = Some(conn),
                None => self.anomalies.push(format!(
                    "{now:?}: a GET was parked on a session that closed"
                )),
            },
            Err(e) => self.refuse_http(
                conn,
                Kind::Get,
                Err(TransportError::HttpStatus(e.http_status())),
            ),
        }
    }

    pub(super) fn server_post(&mut self, conn: ConnId, url: &str, body: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            let refused = TransportError::Network(String::from("connection refused"));
            return self.refuse_http(conn, Kind::Post, Err(refused));
        }
        let sid = match self.route(url, Method::Post, false) {
            Ok(Route::PollPost(sid)) => sid,
            other => return self.refuse_http(conn, Kind::Post, Err(refused(other.err()))),
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sid = Some(sid.clone());
        }
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        let result = srv
            .conn
            .handle_poll_post_start(now, false)
            .and_then(|()| srv.conn.handle_poll_post(now, body))
            .map_err(|e| TransportError::HttpStatus(e.http_status()));
        self.refuse_http(conn, Kind::Post, result);
    }

    pub(super) fn server_ws_open(&mut self, conn: ConnId, url: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            return self.refuse_ws(conn);
        }
        let sid = match self.route(url, Method::Get, true) {
            Ok(Route::Handshake(handshake)) => {
                let Ok(transport) = handshake.accept() else {
                    return self.refuse_ws(conn);
                };
                let sid = self.new_session(transport);
                if let Some(srv) = self.sessions.get_mut(&sid) {
                    srv.ws = Some(conn);
                }
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.sid = Some(sid);
                }
                // The open packet (already queued) follows the WebSocket's opening.
                return self.send_s2c(Delivery::WsOpened { conn });
            }
            Ok(Route::Upgrade(sid)) => sid,
            _ => return self.refuse_ws(conn),
        };
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        match srv.conn.handle_ws_upgrade(now) {
            Ok(()) => {
                srv.ws = Some(conn);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.sid = Some(sid);
                }
                self.send_s2c(Delivery::WsOpened { conn });
            }
            // The reference accepts these, then closes them.
            Err(RequestError::UpgradeInProgress | RequestError::AlreadyUpgraded) => {
                self.send_s2c(Delivery::WsOpened { conn });
                self.refuse_ws(conn);
            }
            Err(_) => self.refuse_ws(conn),
        }
    }

    /// The session `conn` is the WebSocket of, if the server end still listens on it.
    pub(super) fn ws_session(&self, conn: ConnId) -> Option<Sid> {
        let c = self.conns.get(&conn)?;
        if c.cut || c.server_done {
            return None;
        }
        let sid = c.sid.clone()?;
        (self.sessions.get(&sid)?.ws == Some(conn)).then_some(sid)
    }

    pub(super) fn server_frame(&mut self, conn: ConnId, frame: Frame) {
        let now = self.now;
        let Some(sid) = self.ws_session(conn) else {
            return;
        };
        if let Some(srv) = self.sessions.get_mut(&sid) {
            srv.conn.handle_ws_frame(now, frame);
        }
    }

    pub(super) fn server_ws_close(&mut self, conn: ConnId) {
        let now = self.now;
        let sid = self.ws_session(conn);
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.cut {
                return;
            }
            c.server_done = true;
        }
        let Some(srv) = sid.and_then(|sid| self.sessions.get_mut(&sid)) else {
            return;
        };
        srv.ws = None;
        srv.conn.handle_ws_close(now);
    }

    pub(super) fn server_abort(&mut self, conn: ConnId) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.cut || c.server_done {
            return;
        }
        c.server_done = true;
        let Some(sid) = c.sid.clone() else {
            return;
        };
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        if srv.parked_get == Some(conn) {
            srv.parked_get = None;
            srv.conn.handle_poll_get_aborted(now);
        }
    }

    /// Drains one session; forgets it once closed. Returns whether anything came out.
    pub(super) fn drain_session(&mut self, sid: &Sid) -> bool {
        let mut moved = false;
        loop {
            let Some(srv) = self.sessions.get_mut(sid) else {
                return moved;
            };
            if let Some(transmit) = srv.conn.poll_transmit() {
                moved = true;
                self.on_server_transmit(sid, transmit);
                continue;
            }
            if let Some(event) = srv.conn.poll_event() {
                moved = true;
                self.on_server_event(sid, event);
                continue;
            }
            if srv.conn.is_closed() {
                if srv.parked_get.is_some() || srv.ws.is_some() {
                    self.anomalies.push(format!(
                        "{:?}: session {sid} closed with a GET parked or a WebSocket open",
                        self.now
                    ));
                }
                self.sessions.remove(sid);
            }
            return moved;
        }
    }

    pub(super) fn on_server_transmit(&mut self, sid: &Sid, transmit: ServerTransmit) {
        let now = self.now;
        let Some(srv) = self.sessions.get_mut(sid) else {
            return;
        };
        match transmit {
            ServerTransmit::PollResponse(payload) => match srv.parked_get.take() {
                Some(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.server_done = true;
                    }
                    self.send_s2c(Delivery::GetResponse {
                        conn,
                        result: Ok(payload.body),
                    });
                }
                None => self.anomalies.push(format!(
                    "{now:?}: {sid} answered a GET it had not parked: {:?}",
                    payload.body
                )),
            },
            ServerTransmit::WsSend { frame, .. } => match srv.ws {
                Some(conn) => self.send_s2c(Delivery::S2cFrame { conn, frame }),
                None => self.anomalies.push(format!(
                    "{now:?}: {sid} sent {} with no WebSocket",
                    frame_text(&frame)
                )),
            },
            ServerTransmit::WsClose => match srv.ws.take() {
                Some(conn) => self.refuse_ws(conn),
                None => self
                    .anomalies
                    .push(format!("{now:?}: {sid} closed a WebSocket it has not")),
            },
        }
    }
}

/// How the tokio server answers a request the endpoint did not route to the handler at hand: the
/// refusal's status, or 500 for a polling request with another method.
fn refused(refusal: Option<Refusal>) -> TransportError {
    TransportError::HttpStatus(refusal.map_or(500, |refusal| refusal.code().http_status()))
}
