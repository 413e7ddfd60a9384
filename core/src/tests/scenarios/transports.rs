//! The transports: the polling handshake and the upgrade to WebSocket, a WebSocket cut at each
//! step of the upgrade, binary attachments on both, `rememberUpgrade`.

use super::*;

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
