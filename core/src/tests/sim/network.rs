//! The simulated network: connections, and deliveries in one queue ordered by (time, sequence).

use super::*;

impl Sim {
    pub(super) fn new_conn(&mut self, kind: Kind, owner: Owner) -> ConnId {
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(
            id,
            Conn {
                kind,
                owner,
                sid: None,
                reached: false,
                client_done: false,
                server_done: false,
                cut: false,
                last_c2s: Instant::ZERO,
                last_s2c: Instant::ZERO,
            },
        );
        id
    }

    pub(super) fn record_wire(&mut self, conn: ConnId, c2s: bool, what: String, lost: bool) {
        self.wire.push(Wire {
            at: self.now,
            conn,
            c2s,
            what,
            lost,
        });
    }

    /// Sends from the client end: lost in a black hole or while muted, refused in a partition.
    pub(super) fn send_c2s(&mut self, delivery: Delivery) {
        let Some(conn) = delivery.conn() else {
            return;
        };
        let now = self.now;
        let silent = self.mutes.iter().any(|w| w.contains(now));
        let partitioned = self.partitions.iter().any(|w| w.contains(now));
        let cut = self.conns.get(&conn).is_none_or(|c| c.cut);
        let lost = silent || partitioned || cut;
        self.record_wire(conn, true, delivery.describe(), lost);
        if silent || cut {
            return;
        }
        if partitioned {
            // A new request cannot reach the host: it fails after a round trip.
            let failure = match delivery {
                Delivery::Get { .. } => Delivery::GetResponse {
                    conn,
                    result: Err(TransportError::Network(String::from("host unreachable"))),
                },
                Delivery::Post { .. } => Delivery::PostResponse {
                    conn,
                    result: Err(TransportError::Network(String::from("host unreachable"))),
                },
                Delivery::WsOpen { .. } => Delivery::S2cWsClose { conn },
                _ => return,
            };
            if let Some(c) = self.conns.get_mut(&conn) {
                c.reached = true;
                c.server_done = true;
            }
            let at = now + self.latency + self.latency;
            self.enqueue_s2c_at(conn, at, failure);
            return;
        }
        let at = self.link_up_at() + self.latency;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let at = at.max(c.last_c2s);
        c.last_c2s = at;
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    /// Sends from the server end: lost in a black hole.
    pub(super) fn send_s2c(&mut self, delivery: Delivery) {
        let Some(conn) = delivery.conn() else {
            return;
        };
        let now = self.now;
        let partitioned = self.partitions.iter().any(|w| w.contains(now));
        let cut = self.conns.get(&conn).is_none_or(|c| c.cut);
        let lost = partitioned || cut;
        self.record_wire(conn, false, delivery.describe(), lost);
        if lost {
            return;
        }
        let at = self.link_up_at() + self.latency;
        self.enqueue_s2c_at(conn, at, delivery);
    }

    /// When what is sent now starts its way: now, or the end of the black hole it falls in.
    pub(super) fn link_up_at(&self) -> Instant {
        let now = self.now;
        self.blackholes
            .iter()
            .filter(|w| w.contains(now))
            .map(|w| w.to)
            .fold(now, Instant::max)
    }

    pub(super) fn enqueue_s2c_at(&mut self, conn: ConnId, at: Instant, delivery: Delivery) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let at = at.max(c.last_s2c);
        c.last_s2c = at;
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    pub(super) fn deliver(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Fault(fault) => self.apply_fault(fault),
            Delivery::Get { conn, url } => self.server_get(conn, &url),
            Delivery::Post { conn, url, body } => self.server_post(conn, &url, &body),
            Delivery::WsOpen { conn, url } => self.server_ws_open(conn, &url),
            Delivery::C2sFrame { conn, frame } => self.server_frame(conn, frame),
            Delivery::C2sWsClose { conn } => self.server_ws_close(conn),
            Delivery::Abort { conn } => self.server_abort(conn),
            Delivery::GetResponse { conn, result } => self.client_get_response(conn, result),
            Delivery::PostResponse { conn, result } => self.client_post_response(conn, result),
            Delivery::WsOpened { conn } => self.client_ws_opened(conn),
            Delivery::S2cFrame { conn, frame } => self.client_frame(conn, frame),
            Delivery::S2cWsClose { conn } => self.client_ws_closed(conn),
        }
    }
}
