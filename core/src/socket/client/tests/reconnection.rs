//! Reconnection: the backoff, the open timeout, the settings, close and open during the delay.

use super::*;

// ---- reconnection ----

/// The reference's Backoff.duration(), written out independently of the code under test.
fn expected_delays(seed: u64, n: u32) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|attempt| {
            let ms = 1000.0 * 2f64.powi(attempt as i32);
            let rand = rng.next_f64();
            let deviation = (rand * 0.5 * ms).floor();
            let ms = if ((rand * 10.0).floor() as i64) & 1 == 0 {
                ms - deviation
            } else {
                ms + deviation
            };
            ms.min(5000.0) as u64
        })
        .collect()
}

#[test]
fn reconnection_follows_the_reference_backoff_and_caps_at_the_max() {
    let (mut m, s) = connected(config());
    m.handle_engine_close(at(1000), CloseReason::TransportError);
    assert_eq!(
        events(&mut m),
        [
            Event::Error(ConnectionError::Engine(CloseReason::TransportError)),
            Event::Close(CloseReason::TransportError),
            disconnect(s, DisconnectReason::TransportError)
        ]
    );
    assert!(m.is_active(s), "an accidental loss keeps the socket active");
    let mut now = at(1000);
    let mut delays = Vec::new();
    for attempt in 1..=10u32 {
        let next = m.poll_timeout().unwrap();
        delays.push((next - now).as_millis() as u64);
        m.handle_timeout(next);
        assert_eq!(wire(&mut m), ["open"]);
        m.handle_engine_close(next, CloseReason::TransportError);
        let err = ConnectionError::Engine(CloseReason::TransportError);
        let data = r#"{"message":"transport error"}"#.to_string();
        assert_eq!(
            events(&mut m),
            [
                Event::ReconnectAttempt(attempt),
                Event::Error(err.clone()),
                Event::ConnectError { socket: s, data },
                Event::ReconnectError(err)
            ]
        );
        now = next;
    }
    assert_eq!(delays, expected_delays(SEED, 10));
    assert!(
        delays[..4].iter().any(|&d| d != 1000 && d != 5000),
        "jitter is applied"
    );
    assert!(
        delays[4..].iter().all(|&d| d == 5000),
        "capped after jitter: {delays:?}"
    );
    assert_eq!(m.reconnect_attempts(), 11);

    // Success: `reconnect` with the attempt count, and the socket joins its namespace again.
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    assert_eq!(wire(&mut m), ["open", "0"]);
    assert_eq!(
        events(&mut m),
        [
            Event::ReconnectAttempt(11),
            Event::Open,
            Event::Reconnect(11)
        ]
    );
    assert_eq!(m.reconnect_attempts(), 0);
    assert!(!m.is_reconnecting());
}

#[test]
fn the_backoff_formula_matches_for_other_seeds() {
    for seed in [0, 1, 7, 0xDEAD_BEEF] {
        let c = config();
        let mut rng = Rng::new(seed);
        let got: Vec<u64> = (0..8).map(|a| backoff_delay(&c, a, &mut rng)).collect();
        assert_eq!(got, expected_delays(seed, 8), "seed {seed}");
    }
    let mut rng = Rng::new(1);
    assert_eq!(
        backoff_delay(&config(), 5000, &mut rng),
        5000,
        "huge attempts stay capped"
    );
    let mut c = config();
    c.randomization_factor = 0.0;
    let got: Vec<u64> = (0..4).map(|a| backoff_delay(&c, a, &mut rng)).collect();
    assert_eq!(got, [1000, 2000, 4000, 5000], "no jitter");
}

#[test]
fn the_open_timeout_counts_as_a_failed_attempt_and_reconnect_failed_ends_the_loop() {
    let mut c = config();
    c.reconnection_attempts = Some(2);
    let mut m = Manager::new(at(0), c, SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    assert_eq!(wire(&mut m), ["open"]);
    assert_eq!(m.poll_timeout(), Some(at(20_000)));
    m.handle_timeout(at(20_000));
    assert_eq!(wire(&mut m), ["close"], "the timed-out engine is closed");
    let data = r#"{"message":"timeout"}"#.to_string();
    assert_eq!(
        events(&mut m),
        [
            Event::Error(ConnectionError::Timeout),
            Event::ConnectError {
                socket: s,
                data: data.clone()
            }
        ]
    );
    let d = expected_delays(SEED, 2);
    assert_eq!(
        m.poll_timeout(),
        Some(at(20_000 + d[0])),
        "maybeReconnectOnOpen"
    );

    let t1 = 20_000 + d[0];
    m.handle_timeout(at(t1));
    assert_eq!(wire(&mut m), ["open"]);
    m.handle_timeout(at(t1 + 20_000));
    assert_eq!(wire(&mut m), ["close"]);
    let t2 = t1 + 20_000 + d[1];
    assert_eq!(m.poll_timeout(), Some(at(t2)));
    m.handle_timeout(at(t2));
    m.handle_engine_close(at(t2 + 1), CloseReason::TransportError);
    let timeout = ConnectionError::Timeout;
    let failed = ConnectionError::Engine(CloseReason::TransportError);
    let failed_data = r#"{"message":"transport error"}"#.to_string();
    assert_eq!(
        events(&mut m),
        [
            Event::ReconnectAttempt(1),
            Event::Error(timeout.clone()),
            Event::ConnectError { socket: s, data },
            Event::ReconnectError(timeout),
            Event::ReconnectAttempt(2),
            Event::Error(failed.clone()),
            Event::ConnectError {
                socket: s,
                data: failed_data
            },
            Event::ReconnectFailed,
            Event::ReconnectError(failed),
        ],
        "the reference gives up inside reconnect(), before emitting reconnect_error"
    );
    assert_eq!(m.poll_timeout(), None);
    assert!(!m.is_reconnecting());
}

#[test]
fn no_reconnection_after_close() {
    let (mut m, s) = connected(config());
    m.close(at(5));
    assert_eq!(wire(&mut m), ["close"]);
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::ForcedClose),
            disconnect(s, DisconnectReason::ForcedClose)
        ]
    );
    assert_eq!(m.poll_timeout(), None);
    assert!(
        m.is_active(s),
        "sockets stay active, to connect on the next open"
    );
    m.open(at(10));
    m.handle_engine_open(at(11));
    assert_eq!(wire(&mut m), ["open", "0"]);
}

#[test]
fn close_during_the_reconnection_delay_cancels_it() {
    let (mut m, _) = connected(config());
    m.handle_engine_close(at(0), CloseReason::TransportClose);
    assert!(m.is_reconnecting());
    m.close(at(1));
    assert!(!m.is_reconnecting());
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(wire(&mut m), Vec::<String>::new(), "no engine to close");
}

#[test]
fn open_during_the_reconnection_delay_attempts_now() {
    let (mut m, _) = connected(config());
    m.handle_engine_close(at(0), CloseReason::TransportClose);
    let _ = events(&mut m);
    m.open(at(1));
    assert_eq!(wire(&mut m), ["open"]);
    m.handle_engine_open(at(2));
    assert_eq!(
        events(&mut m),
        [Event::ReconnectAttempt(1), Event::Open, Event::Reconnect(1)]
    );
}

#[test]
fn reconnection_disabled() {
    let mut c = config();
    c.reconnection = false;
    let (mut m, _) = connected(c);
    m.handle_engine_close(at(0), CloseReason::TransportClose);
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn settings_take_effect_on_the_next_reconnection() {
    let (mut m, s) = connected(config());
    m.set_reconnection_delay(Duration::from_millis(200));
    m.set_reconnection_delay_max(Duration::from_millis(300));
    m.set_randomization_factor(0.0);
    m.set_reconnection_attempts(Some(2));
    m.set_timeout(Some(Duration::from_millis(50)));
    assert_eq!(m.config().reconnection_attempts, Some(2));
    m.handle_engine_close(at(1000), CloseReason::TransportClose);
    let _ = events(&mut m);
    // 200 ms, no jitter; then 400 ms capped at 300.
    assert_eq!(m.poll_timeout(), Some(at(1200)));
    m.handle_timeout(at(1200));
    assert_eq!(wire(&mut m), ["open"]);
    // The new open timeout.
    assert_eq!(m.poll_timeout(), Some(at(1250)));
    m.handle_timeout(at(1250));
    assert_eq!(m.poll_timeout(), Some(at(1550)));
    m.handle_timeout(at(1550));
    m.handle_timeout(at(1600));
    let seen = events(&mut m);
    assert!(seen.contains(&Event::ReconnectFailed), "{seen:?}");
    assert!(!m.is_reconnecting());

    // Turned off while a reconnection waits: the attempt does not happen.
    m.open(at(2000));
    m.handle_engine_open(at(2000));
    recv(&mut m, at(2000), r#"0{"sid":"abc"}"#);
    m.handle_engine_close(at(2100), CloseReason::TransportClose);
    let next = m.poll_timeout().unwrap();
    m.set_reconnection(false);
    assert!(!m.config().reconnection);
    assert!(!m.is_reconnecting());
    let _ = (wire(&mut m), events(&mut m));
    m.handle_timeout(next);
    assert_eq!(wire(&mut m), Vec::<String>::new());
    assert_eq!(events(&mut m), []);
    assert!(m.is_active(s), "the socket still wants to connect");
    // Back on: the next open reconnects after a loss again.
    m.set_reconnection(true);
    m.open(at(3000));
    m.handle_engine_open(at(3000));
    m.handle_engine_close(at(3100), CloseReason::TransportClose);
    assert_eq!(m.poll_timeout(), Some(at(3300)));
}

#[test]
fn a_parse_error_closes_the_engine_and_reconnects() {
    let (mut m, s) = connected(config());
    recv(&mut m, at(1), "9nonsense");
    assert_eq!(wire(&mut m), ["close"]);
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::ParseError),
            disconnect(s, DisconnectReason::ParseError)
        ]
    );
    assert!(m.is_reconnecting() && m.is_active(s));
    // A stray binary message is a parse error too.
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    m.handle_engine_message(next, Message::Binary(vec![1]));
    assert_eq!(wire(&mut m), ["open", "0", "close"]);
}

#[test]
fn engine_events_of_no_engine_are_ignored() {
    let mut c = config();
    c.auto_connect = false;
    let mut m = Manager::new(at(0), c, SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    assert_eq!(
        wire(&mut m),
        Vec::<String>::new(),
        "auto_connect off: nothing opens"
    );
    m.handle_engine_open(at(0));
    recv(&mut m, at(0), r#"0{"sid":"x"}"#);
    m.handle_engine_close(at(0), CloseReason::TransportClose);
    assert_eq!(events(&mut m), []);
    m.connect(at(1), s);
    assert_eq!(wire(&mut m), ["open"]);
}
