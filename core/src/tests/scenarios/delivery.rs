//! Delivery: ack timeouts on both ends, the offline buffer, retries, connection state recovery.

use super::*;

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
