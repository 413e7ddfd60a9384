//! The client end: the client under test driven by its transmits, and the fake client's raw
//! requests.

use super::*;

impl Sim {
    /// Drains the client; returns whether anything came out.
    pub(super) fn drain_client(&mut self) -> bool {
        let mut moved = false;
        loop {
            if let Some((eid, transmit)) = self.client.poll_transmit() {
                moved = true;
                self.on_client_transmit(eid, transmit);
                continue;
            }
            if let Some(event) = self.client.poll_event() {
                moved = true;
                self.on_client_event(event);
                continue;
            }
            return moved;
        }
    }

    pub(super) fn on_client_transmit(&mut self, eid: EngineId, transmit: ClientTransmit) {
        match transmit {
            ClientTransmit::WsOpen { url } => {
                let conn = self.new_conn(Kind::Ws, Owner::Client(eid));
                if self.client_ws.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} opened a second WebSocket", self.now));
                }
                self.send_c2s(Delivery::WsOpen { conn, url });
            }
            ClientTransmit::WsSend(frame) => match self.client_ws.get(&eid) {
                Some(&conn) => self.send_c2s(Delivery::C2sFrame { conn, frame }),
                None => self.anomalies.push(format!(
                    "{:?}: {eid} sent {} with no WebSocket",
                    self.now,
                    frame_text(&frame)
                )),
            },
            ClientTransmit::WsClose => match self.client_ws.remove(&eid) {
                Some(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.client_done = true;
                    }
                    self.send_c2s(Delivery::C2sWsClose { conn });
                }
                None => self.anomalies.push(format!(
                    "{:?}: {eid} closed a WebSocket it has not",
                    self.now
                )),
            },
            ClientTransmit::PollGet { url } => {
                let conn = self.new_conn(Kind::Get, Owner::Client(eid));
                if self.client_get.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} has two GETs in flight", self.now));
                }
                self.send_c2s(Delivery::Get { conn, url });
            }
            ClientTransmit::PollPost { url, body } => {
                let conn = self.new_conn(Kind::Post, Owner::Client(eid));
                if self.client_post.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} has two POSTs in flight", self.now));
                }
                self.send_c2s(Delivery::Post { conn, url, body });
            }
            ClientTransmit::PollAbort => {
                let get = self.client_get.remove(&eid);
                let post = self.client_post.remove(&eid);
                for conn in [get, post].into_iter().flatten() {
                    let Some(c) = self.conns.get_mut(&conn) else {
                        continue;
                    };
                    if !c.client_done {
                        c.client_done = true;
                        self.send_c2s(Delivery::Abort { conn });
                    }
                }
            }
        }
    }

    pub(super) fn on_client_event(&mut self, event: client::Event) {
        let now = self.now;
        self.client_log.push((now, event.clone()));
        if !self.client_auto_ack {
            return;
        }
        if let client::Event::Manager(socket_client::Event::Event {
            socket,
            args,
            id: Some(id),
        }) = event
        {
            let r = self.client.ack(now, socket, id, args.without_first());
            if let Err(e) = r {
                self.anomalies
                    .push(format!("{now:?}: the client's ack failed: {e}"));
            }
        }
    }

    /// The client end of `conn` takes a delivery, unless it is done with it.
    pub(super) fn client_takes(&mut self, conn: ConnId, last: bool) -> Option<Owner> {
        let c = self.conns.get_mut(&conn)?;
        if c.cut || c.client_done {
            return None;
        }
        if last {
            c.client_done = true;
        }
        Some(c.owner)
    }

    pub(super) fn client_get_response(
        &mut self,
        conn: ConnId,
        result: Result<String, TransportError>,
    ) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_get, eid, conn);
                self.client.handle_poll_response(now, eid, result);
            }
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Response(result))),
            None => {}
        }
    }

    pub(super) fn client_post_response(
        &mut self,
        conn: ConnId,
        result: Result<(), TransportError>,
    ) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_post, eid, conn);
                self.client.handle_post_response(now, eid, result);
            }
            Some(Owner::Raw) => {
                let result = result.map(|()| String::from("ok"));
                self.raw_log.push((now, conn, RawEvent::Response(result)));
            }
            None => {}
        }
    }

    pub(super) fn client_ws_opened(&mut self, conn: ConnId) {
        let now = self.now;
        match self.client_takes(conn, false) {
            Some(Owner::Client(eid)) => self.client.handle_ws_open(now, eid),
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Opened)),
            None => {}
        }
    }

    pub(super) fn client_frame(&mut self, conn: ConnId, frame: Frame) {
        let now = self.now;
        match self.client_takes(conn, false) {
            Some(Owner::Client(eid)) => self.client.handle_ws_frame(now, eid, frame),
            Some(Owner::Raw) => {
                let ping = frame == Frame::Text(String::from("2"));
                self.raw_log.push((now, conn, RawEvent::Frame(frame)));
                if ping && self.raw_auto_pong {
                    self.raw_send(conn, Frame::Text(String::from("3")));
                }
            }
            None => {}
        }
    }

    pub(super) fn client_ws_closed(&mut self, conn: ConnId) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_ws, eid, conn);
                self.client.handle_ws_close(now, eid);
            }
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Closed)),
            None => {}
        }
    }

    fn raw_url(&self, transport: Transport, sid: Option<&str>) -> String {
        let sid = sid.map(|s| Sid::new(s).expect("a valid sid"));
        engine_url().request(transport, sid.as_ref(), None)
    }

    /// The fake client opens a WebSocket (a WebSocket-only handshake without `sid`).
    pub(in crate::tests) fn raw_ws(&mut self, sid: Option<&str>) -> ConnId {
        let url = self.raw_url(Transport::WebSocket, sid);
        let conn = self.new_conn(Kind::Ws, Owner::Raw);
        self.send_c2s(Delivery::WsOpen { conn, url });
        conn
    }

    /// The fake client sends a polling GET (a handshake without `sid`).
    pub(in crate::tests) fn raw_get(&mut self, sid: Option<&str>) -> ConnId {
        let url = self.raw_url(Transport::Polling, sid);
        let conn = self.new_conn(Kind::Get, Owner::Raw);
        self.send_c2s(Delivery::Get { conn, url });
        conn
    }

    /// The fake client sends a request of its own making: a GET, a POST (with `body`) or a
    /// WebSocket to the server's path with `query` (`EIO=4&transport=polling&...`).
    pub(in crate::tests) fn raw_request(&mut self, kind: Kind, query: &str, body: &str) -> ConnId {
        let url = alloc::format!("http://localhost:3000/socket.io/?{query}");
        let conn = self.new_conn(kind, Owner::Raw);
        let delivery = match kind {
            Kind::Get => Delivery::Get { conn, url },
            Kind::Post => Delivery::Post {
                conn,
                url,
                body: String::from(body),
            },
            Kind::Ws => Delivery::WsOpen { conn, url },
        };
        self.send_c2s(delivery);
        conn
    }

    /// The fake client sends a frame on its WebSocket.
    pub(in crate::tests) fn raw_send(&mut self, conn: ConnId, frame: Frame) {
        self.send_c2s(Delivery::C2sFrame { conn, frame });
    }
}
