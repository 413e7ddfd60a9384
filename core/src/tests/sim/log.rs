//! What happened: the logs read back for the tests' assertions.

use super::*;

impl Sim {
    /// The manager's and the sockets' events, with their times.
    pub(in crate::tests) fn manager_events(
        &self,
    ) -> impl Iterator<Item = (Instant, &socket_client::Event)> + '_ {
        self.client_log.iter().filter_map(|(at, e)| match e {
            client::Event::Manager(e) => Some((*at, e)),
            _ => None,
        })
    }

    /// When the client saw the first event matching `matches`.
    pub(in crate::tests) fn first_client(
        &self,
        matches: impl Fn(&client::Event) -> bool,
    ) -> Option<Instant> {
        self.client_log
            .iter()
            .find(|(_, e)| matches(e))
            .map(|(at, _)| *at)
    }

    /// The times of the client's events matching `matches`.
    pub(in crate::tests) fn client_times(
        &self,
        matches: impl Fn(&client::Event) -> bool,
    ) -> Vec<Instant> {
        self.client_log
            .iter()
            .filter(|(_, e)| matches(e))
            .map(|(at, _)| *at)
            .collect()
    }

    /// The server events named `name` that the client's sockets received: (time, socket, args, id).
    pub(in crate::tests) fn client_received(
        &self,
        name: &str,
    ) -> Vec<(Instant, SocketId, String, Option<AckId>)> {
        self.manager_events()
            .filter_map(|(at, e)| match e {
                socket_client::Event::Event {
                    socket, args, id, ..
                } if event_name(args.text()).as_deref() == Some(name) => {
                    Some((at, *socket, args.text().to_string(), *id))
                }
                _ => None,
            })
            .collect()
    }

    /// Every ack result the client got: (time, handle, ack arguments or error).
    pub(in crate::tests) fn client_acks(
        &self,
    ) -> Vec<(Instant, AckHandle, Result<String, AckError>)> {
        self.manager_events()
            .filter_map(|(at, e)| match e {
                socket_client::Event::Ack { handle, result, .. } => Some((
                    at,
                    *handle,
                    result
                        .as_ref()
                        .map(|args| args.text().to_string())
                        .map_err(|e| *e),
                )),
                _ => None,
            })
            .collect()
    }

    /// The client events named `name` the server received: (time, session, nsp, args, ack id).
    pub(in crate::tests) fn server_received(
        &self,
        name: &str,
    ) -> Vec<(Instant, Sid, Nsp, String, Option<AckId>)> {
        self.server_log
            .iter()
            .filter_map(|(at, sid, e)| match e {
                server::Event::Socket(socket_server::Event::Event { nsp, args, id, .. })
                    if event_name(args.text()).as_deref() == Some(name) =>
                {
                    Some((*at, sid.clone(), nsp.clone(), args.text().to_string(), *id))
                }
                _ => None,
            })
            .collect()
    }

    /// The arguments of every client event the server received, in order.
    pub(in crate::tests) fn server_received_all(&self) -> Vec<String> {
        self.server_log
            .iter()
            .filter_map(|(_, _, e)| match e {
                server::Event::Socket(socket_server::Event::Event { args, .. }) => {
                    Some(args.text().to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// The server's events matching `matches`, with their times and sessions.
    pub(in crate::tests) fn server_events(
        &self,
        matches: impl Fn(&server::Event) -> bool,
    ) -> Vec<(Instant, Sid, server::Event)> {
        self.server_log
            .iter()
            .filter(|(_, _, e)| matches(e))
            .cloned()
            .collect()
    }

    /// When each message whose text is exactly `what` was sent (`c2s`: by the client).
    pub(in crate::tests) fn sent(&self, c2s: bool, what: &str) -> Vec<Instant> {
        self.wire
            .iter()
            .filter(|w| w.c2s == c2s && w.what == what)
            .map(|w| w.at)
            .collect()
    }

    /// The wire log as text, for a failing test's message.
    pub(in crate::tests) fn dump(&self) -> String {
        let mut out = String::new();
        for w in &self.wire {
            let dir = if w.c2s { "c>s" } else { "s>c" };
            let lost = if w.lost { " (lost)" } else { "" };
            let _ = writeln!(out, "{:>8?} #{:<3} {dir} {}{lost}", w.at, w.conn, w.what);
        }
        out
    }

    /// Fails the test if a state machine asked its driver for something impossible.
    pub(in crate::tests) fn assert_clean(&self) {
        assert!(
            self.anomalies.is_empty(),
            "driver anomalies: {:#?}",
            self.anomalies
        );
    }
}
