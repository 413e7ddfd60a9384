//! The heartbeat, and the server's connect timeout.

use super::*;

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
