//! Protocol scenarios on the simulator: each reads as the protocol's sequence of events and checks
//! exact virtual times where the protocol defines them (5 ms one-way latency unless said).

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::sim::{RawEvent, Sim, SimConfig, args_of, ms, nth_u64};
use crate::client::Event as C;
use crate::engine::client::{ProbeError, TransportError};
use crate::engine::{CloseReason, Frame, Transport};
use crate::rng::Rng;
use crate::server::Event as S;
use crate::socket::args::Args;
use crate::socket::client::{
    AckError, ConnectionError, DisconnectReason, Emit, Event as M, SocketId, SocketOptions,
};
use crate::socket::packet::{AckId, Nsp};
use crate::socket::server::{
    AckError as ServerAckError, DisconnectReason as ServerReason, Event as SocketEvent,
};

fn connect_of(socket: SocketId) -> impl Fn(&C) -> bool {
    move |e| matches!(e, C::Manager(M::Connect { socket: s }) if *s == socket)
}

fn disconnect_of(socket: SocketId) -> impl Fn(&C) -> bool {
    move |e| matches!(e, C::Manager(M::Disconnect { socket: s, .. }) if *s == socket)
}

fn is_upgrade(e: &C) -> bool {
    matches!(e, C::Upgrade(_))
}

fn is_upgrading(e: &C) -> bool {
    matches!(e, C::Upgrading)
}

/// The disconnect reasons the client's socket saw, with their times.
fn disconnects(sim: &Sim, socket: SocketId) -> Vec<(crate::Instant, DisconnectReason)> {
    sim.manager_events()
        .filter_map(|(at, e)| match e {
            M::Disconnect { socket: s, reason } if *s == socket => Some((at, *reason)),
            _ => None,
        })
        .collect()
}

/// The server's socket disconnects, with their times and reasons.
fn server_disconnects(sim: &Sim) -> Vec<(crate::Instant, Nsp, ServerReason)> {
    sim.server_log
        .iter()
        .filter_map(|(at, _, e)| match e {
            S::Socket(SocketEvent::Disconnect { nsp, reason }) => Some((*at, nsp.clone(), *reason)),
            _ => None,
        })
        .collect()
}

/// The numbers (second argument) of the events named `name` the server received, in order.
fn server_numbers(sim: &Sim, name: &str) -> Vec<u64> {
    sim.server_received(name)
        .iter()
        .map(|(_, _, _, args, _)| nth_u64(args, 1).expect("a numbered event"))
        .collect()
}

fn websocket_only(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed);
    config.client.engine.transports = alloc::vec![Transport::WebSocket];
    config
}

/// The reference's backoff (socket.io-client's `Backoff.duration()`), computed here independently:
/// `ms = 1000 * 2^attempt`, `deviation = floor(rand * 0.5 * ms)`, minus when `floor(rand * 10)` is
/// even, then capped at 5000. The random numbers are the manager's, whose generator the client
/// seeds with the first draw of its own.
fn expected_delays(seed: u64, attempts: u32) -> Vec<u64> {
    let mut rng = Rng::new(Rng::new(seed).next_u64());
    (0..attempts)
        .map(|attempt| {
            let ms = 1000.0 * (1u64 << attempt) as f64;
            let rand = rng.next_f64();
            let deviation = ((rand * 0.5 * ms) as u64) as f64;
            let ms = if ((rand * 10.0) as u64) % 2 == 0 {
                ms - deviation
            } else {
                ms + deviation
            };
            ms.min(5000.0) as u64
        })
        .collect()
}

#[test]
fn polling_handshake_then_websocket_upgrade_keeps_every_emit_in_order_exactly_once() {
    let mut sim = Sim::new(SimConfig::new(1));
    let root = sim.socket("/");
    let mut handles = Vec::new();
    let mut emitted_at = Vec::new();
    let mut emit = |sim: &mut Sim, n: u64| {
        let args = format!("[\"n\",{n}]");
        let handle = sim
            .emit(root, Emit::new(args_of(args)).with_ack())
            .expect("an ack handle");
        handles.push((handle, n));
        emitted_at.push(sim.now());
    };
    // Before the CONNECT reply (it comes at 20 ms) and while polling: one every 2 ms.
    for n in 0..14 {
        sim.run_until(ms(2 * n));
        emit(&mut sim, n);
    }
    // The probe succeeded (`3probe`) but long-polling has not paused yet: emits wait.
    let pausing = sim.run_until_that(ms(1000), |s| {
        s.first_client(is_upgrading).is_some() && s.first_client(is_upgrade).is_none()
    });
    assert!(
        pausing,
        "never saw the pause between 3probe and the switch\n{}",
        sim.dump()
    );
    for n in 14..20 {
        emit(&mut sim, n);
    }
    // After the switch, on the WebSocket.
    let upgraded = sim.run_until_that(ms(1000), |s| s.first_client(is_upgrade).is_some());
    assert!(upgraded);
    let start = sim.now().as_millis();
    for n in 20..50 {
        sim.run_until(ms(start + 2 * (n - 20)));
        emit(&mut sim, n);
    }
    sim.run_for(1000);

    // The protocol's sequence: handshake at one round trip, CONNECT reply at two, `3probe` at three.
    let open = sim
        .first_client(|e| matches!(e, C::Manager(M::Open)))
        .unwrap();
    let connect = sim.first_client(connect_of(root)).unwrap();
    let upgrading = sim.first_client(is_upgrading).unwrap();
    let upgrade = sim.first_client(is_upgrade).unwrap();
    assert_eq!((open, connect, upgrading), (ms(10), ms(20), ms(30)));
    assert!(upgrade >= upgrading);
    assert_eq!(
        sim.client_times(|e| matches!(e, C::Upgrade(Transport::WebSocket))),
        [upgrade]
    );
    assert_eq!(
        sim.client.engine().unwrap().1.transport(),
        Some(Transport::WebSocket)
    );
    // Emits went out before the CONNECT reply, during the pause and after the switch.
    assert!(emitted_at.iter().any(|&t| t < connect));
    assert!(
        emitted_at
            .iter()
            .filter(|&&t| t >= upgrading && t <= upgrade)
            .count()
            >= 6
    );
    assert!(emitted_at.iter().any(|&t| t > upgrade));

    // Every number reached the server once, in order, on the one session.
    assert_eq!(server_numbers(&sim, "n"), (0..50).collect::<Vec<_>>());
    let sessions: BTreeSet<_> = sim.server_received("n").into_iter().map(|r| r.1).collect();
    assert_eq!(sessions.len(), 1);
    // Every ack came back once, with the echoed number.
    let acks = sim.client_acks();
    assert_eq!(acks.len(), 50);
    for (handle, n) in &handles {
        let mine: Vec<_> = acks.iter().filter(|(_, h, _)| h == handle).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].2, Ok(format!("[{n}]")));
    }
    assert!(disconnects(&sim, root).is_empty());
    sim.assert_clean();
}

#[test]
fn websocket_only_handshake_and_echo_with_ack() {
    let mut sim = Sim::new(websocket_only(2));
    let root = sim.socket("/");
    sim.run_until(ms(20));
    // The WebSocket opens after a round trip; the open packet is its first frame, with no
    // upgrades; no HTTP request at all.
    let first = sim
        .wire
        .iter()
        .find(|w| !w.c2s && w.what.starts_with('0'))
        .unwrap();
    assert_eq!(first.at, ms(5));
    assert!(first.what.contains("\"upgrades\":[]"));
    assert!(
        sim.wire
            .iter()
            .all(|w| !w.what.starts_with("GET") && !w.what.starts_with("POST"))
    );
    assert_eq!(
        sim.first_client(|e| matches!(e, C::Manager(M::Open))),
        Some(ms(10))
    );
    assert_eq!(sim.sent(true, "40"), [ms(10)]);
    assert_eq!(sim.first_client(connect_of(root)), Some(ms(20)));

    let handle = sim
        .emit(root, Emit::new(args_of(r#"["echo","hello",1]"#)).with_ack())
        .unwrap();
    assert_eq!(sim.sent(true, r#"420["echo","hello",1]"#), [ms(20)]);
    sim.run_for(100);
    assert_eq!(sim.sent(false, r#"430["hello",1]"#), [ms(25)]);
    assert_eq!(
        sim.client_acks(),
        [(ms(30), handle, Ok(String::from(r#"["hello",1]"#)))]
    );
    assert!(
        sim.client_log
            .iter()
            .all(|(_, e)| !is_upgrade(e) && !is_upgrading(e))
    );
    sim.assert_clean();
}

/// The server's pings on the wire (a WebSocket frame `2`), in order.
fn pings_sent(sim: &Sim) -> Vec<crate::Instant> {
    sim.sent(false, "2")
}

#[test]
fn heartbeat_keeps_an_idle_connection_up_then_a_deaf_server_closes_on_ping_timeout() {
    let mut sim = Sim::new(SimConfig::new(3));
    let root = sim.socket("/");
    // Ten idle minutes.
    sim.run_until(ms(600_000));
    assert!(sim.is_connected(root));
    assert!(disconnects(&sim, root).is_empty());
    // The session opened at 5 ms; the first ping comes pingInterval later, each next one
    // pingInterval after the previous pong arrived (a round trip, 10 ms, after the ping).
    let pings = pings_sent(&sim);
    let expected: Vec<_> = (0..23).map(|k| ms(25_005 + k * 25_010)).collect();
    assert_eq!(pings, expected);
    let client_pings = sim.client_times(|e| matches!(e, C::Ping));
    assert_eq!(
        client_pings,
        expected
            .iter()
            .map(|&t| t + Duration::from_millis(5))
            .collect::<Vec<_>>()
    );
    let heartbeats: Vec<_> = sim
        .server_events(|e| matches!(e, S::Heartbeat))
        .into_iter()
        .map(|(at, _, _)| at)
        .collect();
    assert_eq!(
        heartbeats,
        expected
            .iter()
            .map(|&t| t + Duration::from_millis(10))
            .collect::<Vec<_>>()
    );

    // From now on the server hears nothing from the client; what it sends still arrives.
    sim.mute_client(ms(600_000), ms(700_000));
    sim.run_until(ms(700_000));
    let ping = ms(25_005 + 23 * 25_010);
    assert_eq!(pings_sent(&sim).last(), Some(&ping));
    // The server gives up at exactly ping + pingTimeout.
    let closes = sim.server_events(|e| matches!(e, S::Close(_)));
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].0, ping + Duration::from_millis(20_000));
    assert_eq!(closes[0].2, S::Close(CloseReason::PingTimeout));
    assert_eq!(
        server_disconnects(&sim),
        [(
            ping + Duration::from_millis(20_000),
            Nsp::root(),
            ServerReason::PingTimeout
        )]
    );
    assert_eq!(ServerReason::PingTimeout.as_str(), "ping timeout");
    // Its WebSocket close reaches the client one latency later: a transport close there.
    assert_eq!(
        disconnects(&sim, root),
        [(
            ping + Duration::from_millis(20_005),
            DisconnectReason::TransportClose
        )]
    );
    // Reconnection follows once the client is heard again.
    let back = sim.run_until_that(ms(900_000), |s| s.is_connected(root));
    assert!(back, "{}", sim.dump());
    assert!(
        sim.first_client(|e| matches!(e, C::Manager(M::Reconnect(_))))
            .unwrap()
            >= ms(700_000)
    );
    sim.assert_clean();
}

#[test]
fn heartbeat_on_a_dead_link_both_ends_report_ping_timeout() {
    let mut sim = Sim::new(SimConfig::new(4));
    let root = sim.socket("/");
    sim.run_until(ms(100_000));
    // Pings at 25005, 50015, 75025; the link dies silently (no close reaches either end) before
    // the fourth, at 100035.
    sim.blackhole(ms(100_000), ms(300_000));
    sim.run_until(ms(200_000));
    let last_ping_received = *sim.client_times(|e| matches!(e, C::Ping)).last().unwrap();
    assert_eq!(last_ping_received, ms(75_030));
    assert_eq!(pings_sent(&sim).last(), Some(&ms(100_035)));
    // The client: pingInterval + pingTimeout after the last ping it heard.
    assert_eq!(
        disconnects(&sim, root),
        [(
            last_ping_received + Duration::from_millis(45_000),
            DisconnectReason::PingTimeout
        )]
    );
    assert_eq!(
        sim.client_times(|e| matches!(e, C::Manager(M::Close(CloseReason::PingTimeout)))),
        [ms(120_030)]
    );
    assert_eq!(DisconnectReason::PingTimeout.as_str(), "ping timeout");
    // The server: pingTimeout after the ping it sent.
    assert_eq!(
        server_disconnects(&sim),
        [(ms(100_035 + 20_000), Nsp::root(), ServerReason::PingTimeout)]
    );
    assert_eq!(sim.session_count(), 0);
    // The client keeps trying; each attempt's handshake hangs until the manager's open `timeout`
    // (20 s) gives up on it. Once the link is back it reconnects and re-CONNECTs.
    let back = sim.run_until_that(ms(400_000), |s| s.is_connected(root));
    assert!(back);
    let attempts = sim.client_times(|e| matches!(e, C::Manager(M::ReconnectAttempt(_))));
    let timeouts =
        sim.client_times(|e| matches!(e, C::Manager(M::ReconnectError(ConnectionError::Timeout))));
    let failed: Vec<_> = attempts
        .iter()
        .filter(|&&t| t + Duration::from_millis(20_000) <= ms(300_000))
        .map(|&t| t + Duration::from_millis(20_000))
        .collect();
    assert!(failed.len() >= 6);
    assert_eq!(timeouts, failed);
    let reconnect = sim
        .first_client(|e| matches!(e, C::Manager(M::Reconnect(_))))
        .unwrap();
    assert!(
        reconnect >= ms(300_000) && reconnect <= ms(300_000 + 25_000),
        "{reconnect:?}"
    );
    sim.assert_clean();
}

#[test]
fn reconnect_backoff_follows_the_reference_formula_then_every_namespace_reconnects() {
    let seed = 5;
    let mut config = SimConfig::new(seed);
    config.start_down = true;
    let mut sim = Sim::new(config);
    let root = sim.socket("/");
    let admin = sim.socket("/admin");
    sim.server_up(ms(40_000));
    let back = sim.run_until_that(ms(60_000), |s| {
        s.is_connected(root) && s.is_connected(admin)
    });
    assert!(back);

    // Attempt k starts its delay when attempt k-1 fails: its GET is refused after a round trip.
    let attempts: Vec<_> = sim
        .manager_events()
        .filter_map(|(at, e)| match e {
            M::ReconnectAttempt(n) => Some((at, *n)),
            _ => None,
        })
        .collect();
    let numbers: Vec<u32> = attempts.iter().map(|a| a.1).collect();
    assert_eq!(numbers, (1..=attempts.len() as u32).collect::<Vec<_>>());
    let mut failed_at = ms(10); // the first GET, at 0, refused at 10
    let mut delays = Vec::new();
    for (at, _) in &attempts {
        delays.push((*at - failed_at).as_millis() as u64);
        failed_at = *at + Duration::from_millis(10);
    }
    // The last attempt succeeded: the server was up again.
    let expected = expected_delays(seed, delays.len() as u32);
    assert_eq!(delays, expected);
    for (attempt, &d) in delays.iter().enumerate() {
        let base = 1000.0 * (1u64 << attempt) as f64;
        assert!(d as f64 >= (base * 0.5).min(5000.0) && d as f64 <= (base * 1.5).min(5000.0));
        if attempt >= 4 {
            // 16000 * (1 - 0.5) is over the cap: from here on every delay is the cap itself.
            assert_eq!(d, 5000);
        }
    }
    assert!(delays.len() >= 8, "{delays:?}");
    let errors = sim
        .manager_events()
        .filter(|(_, e)| matches!(e, M::ReconnectError(_)))
        .count();
    assert_eq!(errors, attempts.len() - 1);
    let reconnect: Vec<_> = sim
        .manager_events()
        .filter_map(|(at, e)| match e {
            M::Reconnect(n) => Some((at, *n)),
            _ => None,
        })
        .collect();
    let last_attempt = attempts.last().unwrap().0;
    assert!(last_attempt >= ms(40_000));
    assert_eq!(
        reconnect,
        [(
            last_attempt + Duration::from_millis(10),
            attempts.len() as u32
        )]
    );
    // Both namespaces CONNECT on the new session, `/` first (subscription order), in one POST: the
    // manager's packets of one step reach the engine together.
    let connects: Vec<_> = sim
        .server_events(|e| matches!(e, S::Socket(SocketEvent::Connect { .. })))
        .into_iter()
        .map(|(at, _, e)| match e {
            S::Socket(SocketEvent::Connect { nsp, .. }) => (at, nsp),
            _ => unreachable!(),
        })
        .collect();
    let admin_nsp = Nsp::new("/admin").unwrap();
    assert_eq!(
        connects,
        [
            (last_attempt + Duration::from_millis(15), Nsp::root()),
            (last_attempt + Duration::from_millis(15), admin_nsp)
        ]
    );
    assert_eq!(
        sim.first_client(connect_of(root)),
        Some(last_attempt + Duration::from_millis(20))
    );
    assert_eq!(
        sim.first_client(connect_of(admin)),
        Some(last_attempt + Duration::from_millis(30))
    );
    sim.assert_clean();
}

#[test]
fn ack_timeout_fires_at_exactly_emit_time_plus_timeout() {
    let mut sim = Sim::new(SimConfig::new(6));
    let root = sim.socket("/");
    sim.app.ignore.insert(String::from("never"), u32::MAX);
    sim.run_until(ms(100));
    let handle = sim
        .emit(
            root,
            Emit::new(args_of(r#"["never"]"#)).with_timeout(Duration::from_millis(1000)),
        )
        .unwrap();
    sim.run_until(ms(5000));
    let received = sim.server_received("never");
    assert_eq!(received.len(), 1);
    assert_eq!((received[0].0, received[0].4), (ms(105), Some(AckId(0))));
    assert_eq!(
        sim.client_acks(),
        [(ms(1100), handle, Err(AckError::Timeout))]
    );
    assert_eq!(AckError::Timeout.to_string(), "operation has timed out");
    assert!(sim.is_connected(root));
    sim.assert_clean();
}

#[test]
fn emits_while_disconnected_are_buffered_and_flushed_in_order_volatile_ones_dropped() {
    let mut sim = Sim::new(SimConfig::new(7));
    let root = sim.socket("/");
    sim.run_until(ms(100));
    sim.server_down(ms(1000));
    sim.run_until(ms(1000));
    assert!(!sim.is_connected(root));
    let mut handles = Vec::new();
    for n in 0..5u64 {
        sim.run_until(ms(1100 + 100 * n));
        handles.push(
            sim.emit(
                root,
                Emit::new(args_of(format!("[\"buf\",{n}]"))).with_ack(),
            )
            .unwrap(),
        );
        let volatile = Emit::new(args_of(format!("[\"vol\",{n}]"))).volatile();
        assert_eq!(sim.emit(root, volatile), None);
    }
    assert_eq!(sim.client.manager().buffered(root), 5);
    sim.server_up(ms(20_000));
    assert!(sim.run_until_that(ms(40_000), |s| s.is_connected(root)));
    sim.run_for(1000);

    assert_eq!(
        disconnects(&sim, root),
        [(ms(1000), DisconnectReason::TransportClose)]
    );
    assert_eq!(server_numbers(&sim, "buf"), [0, 1, 2, 3, 4]);
    assert!(sim.server_received("vol").is_empty());
    // Flushed on the CONNECT reply: the server has the socket joined before the first one arrives.
    let connect = sim
        .server_events(|e| matches!(e, S::Socket(SocketEvent::Connect { .. })))
        .last()
        .unwrap()
        .0;
    assert!(connect >= ms(20_000));
    assert!(sim.server_received("buf").iter().all(|r| r.0 > connect));
    let acks = sim.client_acks();
    assert_eq!(acks.len(), 5);
    for (n, handle) in handles.iter().enumerate() {
        assert!(
            acks.iter()
                .any(|(_, h, r)| h == handle && *r == Ok(format!("[{n}]")))
        );
    }
    assert_eq!(sim.client.manager().buffered(root), 0);
    sim.assert_clean();
}

#[test]
fn retries_with_ack_timeout_deliver_at_least_once_with_fresh_ack_ids() {
    let mut sim = Sim::new(websocket_only(8));
    let options = SocketOptions {
        retries: 3,
        ack_timeout: Some(Duration::from_millis(500)),
        ..SocketOptions::default()
    };
    let root = sim.socket_with("/", options);
    // The application drops the first two deliveries of `job` on the floor.
    sim.app.ignore.insert(String::from("job"), 2);
    sim.run_until(ms(100));
    let handle = sim
        .emit(root, Emit::new(args_of(r#"["job",7]"#)).with_ack())
        .unwrap();
    sim.run_until(ms(5000));
    let received: Vec<_> = sim
        .server_received("job")
        .into_iter()
        .map(|(at, _, _, args, id)| (at, args, id))
        .collect();
    let job = String::from(r#"["job",7]"#);
    assert_eq!(
        received,
        [
            (ms(105), job.clone(), Some(AckId(0))),
            (ms(605), job.clone(), Some(AckId(1))),
            (ms(1105), job, Some(AckId(2))),
        ]
    );
    assert_eq!(
        sim.client_acks(),
        [(ms(1110), handle, Ok(String::from("[7]")))]
    );
    sim.assert_clean();
}

#[test]
fn connection_state_recovery_replays_missed_events_but_not_after_a_deliberate_disconnect() {
    let seed = 9;
    let mut config = SimConfig::new(seed);
    config.recovery = Some(Duration::from_millis(120_000));
    let mut sim = Sim::new(config);
    let root = sim.socket("/");
    sim.run_until(ms(100));
    let pid = String::from(
        sim.client
            .manager()
            .pid(root)
            .expect("the CONNECT reply has a pid"),
    );
    let sid = String::from(sim.client.manager().sid(root).unwrap());
    assert!(!sim.client.manager().is_recovered(root));
    for n in 1..=2 {
        let emitted = sim.server_emit("/", &format!("[\"tick\",{n}]"));
        assert_eq!(emitted.offset, Some(format!("o{n}")));
        sim.run_for(10);
    }
    // The offset rides as the last argument; the client keeps the last one.
    let ticks = sim.client_received("tick");
    assert_eq!(ticks[0].2, r#"["tick",1,"o1"]"#);
    assert_eq!(sim.client.manager().offset(root), Some("o2"));

    sim.cut_transport(ms(200));
    sim.run_until(ms(200));
    assert_eq!(
        disconnects(&sim, root),
        [(ms(200), DisconnectReason::TransportClose)]
    );
    assert_eq!(
        server_disconnects(&sim),
        [(ms(200), Nsp::root(), ServerReason::TransportClose)]
    );
    for n in 3..=5 {
        sim.run_for(1);
        let emitted = sim.server_emit("/", &format!("[\"tick\",{n}]"));
        assert_eq!(emitted.sid, None);
    }
    assert!(sim.run_until_that(ms(10_000), |s| s.is_connected(root)));
    sim.run_for(100);

    let attempt = ms(200 + expected_delays(seed, 1)[0]);
    assert_eq!(
        sim.client_times(|e| matches!(e, C::Manager(M::ReconnectAttempt(1)))),
        [attempt]
    );
    // The CONNECT carried pid and offset; the server restored the session: same socket id and pid.
    let recovery = sim
        .server_events(|e| matches!(e, S::Socket(SocketEvent::Connect { .. })))
        .into_iter()
        .filter_map(|(_, _, e)| match e {
            S::Socket(SocketEvent::Connect { recovery, .. }) => Some(recovery),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(recovery.len(), 2);
    let r = recovery[1].as_ref().expect("a recovery attempt");
    assert_eq!((r.pid.as_str(), r.offset.as_str()), (pid.as_str(), "o2"));
    assert!(sim.client.manager().is_recovered(root));
    assert_eq!(sim.client.manager().sid(root), Some(sid.as_str()));
    assert_eq!(sim.client.manager().pid(root), Some(pid.as_str()));
    // The missed events arrive after the CONNECT reply, in order, then the offset moves on.
    let connect = *sim.client_times(connect_of(root)).last().unwrap();
    assert_eq!(connect, attempt + Duration::from_millis(20));
    let ticks = sim.client_received("tick");
    let after: Vec<_> = ticks
        .iter()
        .filter(|t| t.0 >= connect)
        .map(|t| t.2.as_str())
        .collect();
    assert_eq!(
        after,
        [
            r#"["tick",3,"o3"]"#,
            r#"["tick",4,"o4"]"#,
            r#"["tick",5,"o5"]"#
        ]
    );
    let connect_index = sim
        .client_log
        .iter()
        .rposition(|(_, e)| connect_of(root)(e))
        .unwrap();
    let first_missed = sim
        .client_log
        .iter()
        .position(
            |(_, e)| matches!(e, C::Manager(M::Event { args, .. }) if args.text().contains("\"o3\"")),
        )
        .unwrap();
    assert!(first_missed > connect_index);
    assert_eq!(sim.client.manager().offset(root), Some("o5"));

    // A deliberate disconnect forgets the recovery session: the next CONNECT starts afresh.
    sim.disconnect(root);
    sim.run_for(100);
    assert_eq!(
        server_disconnects(&sim).last().map(|d| d.2),
        Some(ServerReason::ClientNamespaceDisconnect)
    );
    sim.connect(root);
    assert!(
        sim.run_until_that(sim.now() + Duration::from_millis(1000), |s| s
            .is_connected(root))
    );
    assert!(!sim.client.manager().is_recovered(root));
    let last_connect = sim
        .server_events(|e| matches!(e, S::Socket(SocketEvent::Connect { .. })))
        .pop()
        .unwrap();
    assert!(matches!(
        last_connect.2,
        S::Socket(SocketEvent::Connect { recovery: None, .. })
    ));
    assert_ne!(sim.client.manager().pid(root), Some(pid.as_str()));
    sim.assert_clean();
}

#[test]
fn websocket_cut_after_2probe_leaves_the_session_on_polling() {
    let mut sim = Sim::new(SimConfig::new(10));
    let root = sim.socket("/");
    assert!(sim.run_until_that(ms(1000), |s| !s.sent(true, "2probe").is_empty()));
    assert_eq!(sim.now(), ms(20));
    sim.cut_websocket(sim.now());
    sim.run_until(ms(100));
    assert_eq!(
        sim.client_times(|e| matches!(e, C::UpgradeError(ProbeError::TransportClosed))),
        [ms(20)]
    );
    assert!(sim.first_client(is_upgrade).is_none());
    assert_eq!(
        sim.client.engine().unwrap().1.transport(),
        Some(Transport::Polling)
    );
    // The session works on long-polling, and stays up through heartbeats.
    let handle = sim
        .emit(root, Emit::new(args_of(r#"["echo",1]"#)).with_ack())
        .unwrap();
    sim.run_until(ms(100_000));
    assert_eq!(
        sim.client_acks(),
        [(ms(110), handle, Ok(String::from("[1]")))]
    );
    assert!(disconnects(&sim, root).is_empty());
    let sid = sim.client.engine().unwrap().1.sid().unwrap().clone();
    assert_eq!(
        sim.session(&sid).unwrap().engine().transport(),
        Transport::Polling
    );
    assert_eq!(sim.session_count(), 1);
    sim.assert_clean();
}

#[test]
fn websocket_cut_after_3probe_sent_leaves_the_session_on_polling() {
    let mut sim = Sim::new(SimConfig::new(11));
    let root = sim.socket("/");
    // The server answered the probe; `3probe` is on its way.
    assert!(sim.run_until_that(ms(1000), |s| !s.sent(false, "3probe").is_empty()));
    assert_eq!(sim.now(), ms(25));
    sim.cut_websocket(sim.now());
    let handle = sim
        .emit(root, Emit::new(args_of(r#"["echo",2]"#)).with_ack())
        .unwrap();
    sim.run_until(ms(100_000));
    assert_eq!(
        sim.client_times(|e| matches!(e, C::UpgradeError(ProbeError::TransportClosed))),
        [ms(25)]
    );
    assert!(sim.first_client(is_upgrade).is_none());
    assert!(sim.server_events(|e| matches!(e, S::Upgrade(_))).is_empty());
    assert_eq!(sim.client_acks().len(), 1);
    assert_eq!(sim.client_acks()[0].1, handle);
    assert_eq!(sim.client_acks()[0].2, Ok(String::from("[2]")));
    assert!(disconnects(&sim, root).is_empty());
    sim.assert_clean();
}

#[test]
fn websocket_cut_during_the_pause_loses_and_duplicates_nothing() {
    let mut sim = Sim::new(SimConfig::new(12));
    let root = sim.socket("/");
    let mut n = 0;
    let mut handles = Vec::new();
    let mut emit = |sim: &mut Sim, n: &mut u64| {
        let h = sim
            .emit(root, Emit::new(args_of(format!("[\"n\",{n}]"))).with_ack())
            .unwrap();
        handles.push(h);
        *n += 1;
    };
    // A numbered stream, one every millisecond, so that a POST is in flight when `3probe` comes:
    // the pause lasts until it completes.
    for t in 0..26 {
        sim.run_until(ms(t));
        emit(&mut sim, &mut n);
    }
    let pausing = sim.run_until_that(ms(1000), |s| {
        s.first_client(is_upgrading).is_some() && s.first_client(is_upgrade).is_none()
    });
    assert!(pausing);
    assert_eq!(sim.now(), ms(30));
    assert!(sim.client.engine().unwrap().1.is_upgrading());
    for _ in 0..3 {
        emit(&mut sim, &mut n);
    }
    sim.cut_websocket(sim.now());
    assert_eq!(
        sim.client_times(|e| matches!(e, C::UpgradeError(ProbeError::TransportClosed))),
        [ms(30)]
    );
    for t in 31..60 {
        sim.run_until(ms(t));
        emit(&mut sim, &mut n);
    }
    sim.run_until(ms(5000));
    assert!(sim.first_client(is_upgrade).is_none());
    assert_eq!(
        sim.client.engine().unwrap().1.transport(),
        Some(Transport::Polling)
    );
    assert_eq!(server_numbers(&sim, "n"), (0..n).collect::<Vec<_>>());
    let acks = sim.client_acks();
    assert_eq!(acks.len(), handles.len());
    for (i, h) in handles.iter().enumerate() {
        let mine: Vec<_> = acks.iter().filter(|a| a.1 == *h).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].2, Ok(format!("[{i}]")));
    }
    assert!(disconnects(&sim, root).is_empty());
    sim.assert_clean();
}

#[test]
fn server_closes_a_session_that_never_connects_a_namespace_after_45_seconds() {
    let mut config = SimConfig::new(13);
    config.client.manager.auto_connect = false;
    let mut sim = Sim::new(config);
    sim.raw_auto_pong = true;
    // A bare Engine.IO client: a WebSocket handshake, pongs, and never a Socket.IO CONNECT.
    let ws = sim.raw_ws(None);
    sim.run_until(ms(100_000));
    let opened = sim.server_log.first().unwrap();
    let sid = opened.1.clone();
    let handshake = sim
        .raw_log
        .iter()
        .find_map(|(at, c, e)| match e {
            RawEvent::Frame(Frame::Text(t)) if *c == ws && t.starts_with('0') => Some(*at),
            _ => None,
        })
        .unwrap();
    assert_eq!(handshake, ms(10));
    // The session opened at 5 ms; the pong kept the heartbeat happy, the connect timeout did not.
    assert_eq!(sim.sent(false, "2"), [ms(25_005)]);
    assert_eq!(sim.sent(true, "3"), [ms(25_010)]);
    let closes = sim.server_events(|e| matches!(e, S::Close(_)));
    assert_eq!(
        closes,
        [(ms(45_005), sid.clone(), S::Close(CloseReason::ForcedClose))]
    );
    let tail: Vec<_> = sim.raw_log.iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        tail,
        [
            (
                ms(45_010),
                ws,
                RawEvent::Frame(Frame::Text(String::from("1")))
            ),
            (ms(45_010), ws, RawEvent::Closed)
        ]
    );
    assert_eq!(sim.session_count(), 0);
    // A closed session is forgotten: its sid now gets HTTP 400.
    let get = sim.raw_get(Some(sid.as_str()));
    sim.run_for(100);
    assert_eq!(
        sim.raw_log.last(),
        Some(&(
            ms(100_010),
            get,
            RawEvent::Response(Err(TransportError::HttpStatus(400)))
        ))
    );
    sim.assert_clean();
}

#[test]
fn an_unknown_namespace_is_refused_with_invalid_namespace() {
    let mut sim = Sim::new(websocket_only(14));
    let other = sim.socket("/random");
    sim.run_until(ms(100));
    assert_eq!(
        sim.sent(false, r#"44/random,{"message":"Invalid namespace"}"#),
        [ms(15)]
    );
    let refused: Vec<_> = sim
        .manager_events()
        .filter_map(|(at, e)| match e {
            M::ConnectError { socket, data } if *socket == other => Some((at, data.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        [(ms(20), String::from(r#"{"message":"Invalid namespace"}"#))]
    );
    assert!(!sim.client.manager().is_active(other));
    sim.assert_clean();
}

#[test]
fn a_server_side_disconnect_is_not_reconnected() {
    let mut sim = Sim::new(websocket_only(15));
    let root = sim.socket("/");
    let admin = sim.socket("/admin");
    sim.run_until(ms(100));
    assert!(sim.is_connected(root) && sim.is_connected(admin));
    sim.server_disconnect("/admin");
    sim.run_until(ms(60_000));
    let admin_nsp = Nsp::new("/admin").unwrap();
    assert_eq!(sim.sent(false, "41/admin,"), [ms(100)]);
    assert_eq!(
        server_disconnects(&sim),
        [(ms(100), admin_nsp, ServerReason::ServerNamespaceDisconnect)]
    );
    assert_eq!(
        disconnects(&sim, admin),
        [(ms(105), DisconnectReason::IoServerDisconnect)]
    );
    assert!(!sim.client.manager().is_active(admin));
    // The engine stays up for `/`, and nothing reconnects.
    assert!(sim.is_connected(root));
    assert!(sim.client_times(disconnect_of(root)).is_empty());
    assert!(
        sim.first_client(|e| matches!(e, C::Manager(M::ReconnectAttempt(_))))
            .is_none()
    );
    sim.assert_clean();
}

#[test]
fn a_partition_cuts_the_connection_and_the_client_reconnects_after_it() {
    let seed = 16;
    let mut sim = Sim::new(SimConfig::new(seed));
    let root = sim.socket("/");
    sim.run_until(ms(1000));
    sim.partition(ms(1000), ms(8000));
    assert!(sim.run_until_that(ms(30_000), |s| s.is_connected(root)));
    // Both ends learn at once that the WebSocket broke.
    assert_eq!(
        disconnects(&sim, root),
        [(ms(1000), DisconnectReason::TransportClose)]
    );
    assert_eq!(
        server_disconnects(&sim),
        [(ms(1000), Nsp::root(), ServerReason::TransportClose)]
    );
    // Attempts inside the window fail after a round trip; the first one after it succeeds.
    let delays = expected_delays(seed, 10);
    let mut expected = Vec::new();
    let mut at = ms(1000);
    for d in delays {
        at = at + Duration::from_millis(d);
        expected.push(at);
        if at >= ms(8000) {
            break;
        }
        at = at + Duration::from_millis(10);
    }
    let attempts = sim.client_times(|e| matches!(e, C::Manager(M::ReconnectAttempt(_))));
    assert_eq!(attempts, expected);
    let errors = sim.client_times(|e| matches!(e, C::Manager(M::ReconnectError(_))));
    assert_eq!(errors.len(), attempts.len() - 1);
    let last = *attempts.last().unwrap();
    assert_eq!(
        sim.client_times(|e| matches!(e, C::Manager(M::Reconnect(_)))),
        [last + Duration::from_millis(10)]
    );
    assert_eq!(
        sim.client_times(connect_of(root)).last(),
        Some(&(last + Duration::from_millis(20)))
    );
    sim.assert_clean();
}

#[test]
fn a_server_emit_with_ack_is_answered_or_times_out_at_exactly_emit_time_plus_timeout() {
    let mut sim = Sim::new(websocket_only(17));
    let root = sim.socket("/");
    sim.run_until(ms(100));
    let timeout = Some(Duration::from_millis(1000));
    let (sid, answered) = sim
        .server_emit_ack("/", r#"["question",1]"#, timeout)
        .unwrap();
    sim.run_until(ms(200));
    // The client application stops answering.
    sim.client_auto_ack = false;
    let (_, unanswered) = sim
        .server_emit_ack("/", r#"["question",2]"#, timeout)
        .unwrap();
    sim.run_until(ms(5000));
    let questions = sim.client_received("question");
    assert_eq!(
        questions,
        [
            (
                ms(105),
                root,
                String::from(r#"["question",1]"#),
                Some(AckId(0))
            ),
            (
                ms(205),
                root,
                String::from(r#"["question",2]"#),
                Some(AckId(1))
            ),
        ]
    );
    let acks: Vec<_> = sim
        .server_log
        .iter()
        .filter_map(|(at, s, e)| match e {
            S::Socket(SocketEvent::Ack { handle, result, .. }) => Some((
                *at,
                s.clone(),
                *handle,
                result
                    .as_ref()
                    .map(|args| args.text().to_string())
                    .map_err(|e| *e),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        acks,
        [
            (ms(110), sid.clone(), answered, Ok(String::from("[1]"))),
            (ms(1200), sid, unanswered, Err(ServerAckError::Timeout)),
        ]
    );
    sim.assert_clean();
}

#[test]

fn a_deliberate_disconnect_on_long_polling_closes_both_ends_cleanly() {
    let mut config = SimConfig::new(18);
    config.client.engine.transports = alloc::vec![Transport::Polling];
    let mut sim = Sim::new(config);
    let root = sim.socket("/");
    sim.run_until(ms(100));
    assert!(sim.is_connected(root));
    sim.disconnect(root);
    sim.run_until(ms(100_000));
    assert_eq!(
        disconnects(&sim, root),
        [(ms(100), DisconnectReason::IoClientDisconnect)]
    );
    // `41` goes in a POST; the engine's close packet `1` follows in the next POST once that one
    // completes (engine.io-client waits for `drain`), and the server closes the session, answering
    // the parked GET with `6`.
    assert_eq!(sim.sent(true, "POST \"41\""), [ms(100)]);
    assert_eq!(
        server_disconnects(&sim),
        [(
            ms(105),
            Nsp::root(),
            ServerReason::ClientNamespaceDisconnect
        )]
    );
    assert_eq!(sim.sent(true, "POST \"1\""), [ms(110)]);
    assert_eq!(
        sim.server_events(|e| matches!(e, S::Close(_)))
            .into_iter()
            .map(|(at, _, e)| (at, e))
            .collect::<Vec<_>>(),
        [(ms(115), S::Close(CloseReason::TransportClose))]
    );
    assert_eq!(sim.session_count(), 0);
    sim.assert_clean();
}

#[test]
fn binary_attachments_cross_long_polling_and_websocket_intact() {
    let args = r#"["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let bytes = |n: u8| alloc::vec![alloc::vec![n, 0, 255, 10], alloc::vec![n; 300]];
    let transports = [
        alloc::vec![Transport::Polling],
        alloc::vec![Transport::WebSocket],
        alloc::vec![Transport::Polling, Transport::WebSocket],
    ];
    for (seed, transports) in (19..).zip(transports) {
        let mut config = SimConfig::new(seed);
        config.client.engine.transports = transports.clone();
        let mut sim = Sim::new(config);
        let root = sim.socket("/");
        let mut handles = Vec::new();
        // Before the CONNECT reply (buffered), around the upgrade, and well after.
        for (n, at) in [(1u8, 0u64), (2, 22), (3, 200)] {
            sim.run_until(ms(at));
            let args = Args::from_json(args, bytes(n)).unwrap();
            let emit = Emit::new(args).with_ack();
            handles.push(sim.emit(root, emit).unwrap());
        }
        sim.run_until(ms(1000));
        let received: Vec<_> = sim
            .server_log
            .iter()
            .filter_map(|(_, _, e)| match e {
                S::Socket(SocketEvent::Event { args, .. }) => {
                    Some((args.text().to_string(), args.attachments().to_vec()))
                }
                _ => None,
            })
            .collect();
        let expected: Vec<_> = (1..=3).map(|n| (String::from(args), bytes(n))).collect();
        assert_eq!(received, expected, "{transports:?}");
        // The ack echoes the attachments back (BINARY_ACK), placeholders and all.
        let acks: Vec<_> = sim
            .manager_events()
            .filter_map(|(_, e)| match e {
                M::Ack {
                    handle,
                    result: Ok(a),
                    ..
                } => Some((*handle, a.text().to_string(), a.attachments().to_vec())),
                _ => None,
            })
            .collect();
        let echoed = r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        let expected: Vec<_> = handles
            .iter()
            .zip(1..)
            .map(|(h, n)| (*h, String::from(echoed), bytes(n)))
            .collect();
        assert_eq!(acks, expected, "{transports:?}");
        // Long-polling carries attachments as `b` + base64 records, in the same POST as their
        // packet; the WebSocket as binary frames.
        let base64 = sim.wire.iter().any(|w| {
            w.what.starts_with("POST")
                && w.what.contains(r#"[\"bin\","#)
                && w.what.contains("bAwD/Cg==")
        });
        let frames = sim.wire.iter().any(|w| w.what == "<4 bytes>");
        match transports.as_slice() {
            [Transport::Polling] => assert!(base64 && !frames),
            [Transport::WebSocket] => assert!(frames && !base64),
            _ => assert!(frames),
        }
        sim.assert_clean();
    }
}

#[test]

fn remember_upgrade_falls_back_to_polling_when_the_websocket_fails() {
    let mut config = SimConfig::new(20);
    config.client.engine.remember_upgrade = true;
    let mut sim = Sim::new(config);
    let root = sim.socket("/");
    sim.run_until(ms(1000));
    assert_eq!(sim.first_client(is_upgrade), Some(ms(30)));
    // The WebSocket worked: the next session opens on it directly (no GET, no sid).
    sim.cut_transport(ms(1000));
    assert!(sim.run_until_that(ms(10_000), |s| s.is_connected(root)));
    let reconnect = sim
        .first_client(|e| matches!(e, C::Manager(M::Reconnect(_))))
        .unwrap();
    let after: Vec<_> = sim
        .wire
        .iter()
        .filter(|w| w.c2s && w.at >= ms(1001))
        .collect();
    assert!(after[0].what.starts_with("WS open") && !after[0].what.contains("sid="));
    assert!(
        after.iter().all(|w| !w.what.starts_with("GET")),
        "{}",
        sim.dump()
    );
    assert!(reconnect > ms(1000));
    // Now WebSockets are refused. The failed WebSocket resets the memory (engine.io-client's
    // `_onError`), so the attempt after it opens on long-polling and succeeds.
    sim.set_server_transports(alloc::vec![Transport::Polling]);
    let cut = sim.now() + Duration::from_millis(1000);
    sim.cut_transport(cut);
    sim.run_until(cut);
    let back = sim.run_until_that(cut + Duration::from_millis(30_000), |s| {
        s.is_connected(root)
    });
    let ws_attempts = sim
        .wire
        .iter()
        .filter(|w| w.c2s && w.at > cut && w.what.starts_with("WS open"))
        .count();
    assert!(
        back,
        "{ws_attempts} WebSocket attempts and no polling fallback"
    );
    assert_eq!(ws_attempts, 1);
    sim.assert_clean();
}
