//! Namespaces refused, disconnections on either side, partitions, and the reconnection backoff.

use super::*;

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
