//! The bounds a client cannot get past on one connection: refused CONNECTs per connection and
//! per time, and how long a binary packet may wait for its attachments.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use alloc::string::ToString;
use alloc::vec;

use super::*;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn nsp(name: &str) -> Nsp {
    Nsp::new(name).unwrap()
}

fn feed(c: &mut Connection, now: u64, text: &str) {
    c.handle_engine_message(at(now), Message::Text(text.to_string()));
}

fn closed_engine(c: &mut Connection) -> bool {
    core::iter::from_fn(|| c.poll_engine()).any(|cmd| cmd == EngineCommand::Close)
}

fn connects(c: &mut Connection) -> usize {
    core::iter::from_fn(|| c.poll_event())
        .filter(|e| matches!(e, Event::Connect { .. }))
        .count()
}

#[test]
fn refused_connects_are_bounded_per_connection_and_forgiven_over_time() {
    let config = Config::default();
    let mut c = Connection::new(at(0), config);
    let admin = nsp("/admin");
    // The whole burst is asked to the server, and refused.
    for _ in 0..config.max_refused_connects {
        feed(&mut c, 0, "0/admin,");
        assert_eq!(connects(&mut c), 1);
        c.reject(at(0), &admin, "not authorized", None).unwrap();
    }
    assert!(!closed_engine(&mut c));
    // One interval later one more try is allowed, and refused again.
    let interval = config.refused_connect_interval.as_millis() as u64;
    feed(&mut c, interval, "0/admin,");
    assert_eq!(connects(&mut c), 1);
    c.reject(at(interval), &admin, "not authorized", None)
        .unwrap();
    // The next one at once closes the connection without asking the server.
    feed(&mut c, interval, "0/admin,");
    assert_eq!(connects(&mut c), 0);
    assert!(closed_engine(&mut c));
    assert!(c.is_closed());
}

#[test]
fn connects_at_the_forgiving_rate_go_on_for_ever() {
    let config = Config::default();
    let interval = config.refused_connect_interval.as_millis() as u64;
    let mut c = Connection::new(at(0), config);
    let admin = nsp("/admin");
    for i in 0..1_000 {
        feed(&mut c, i * interval, "0/admin,");
        assert_eq!(connects(&mut c), 1, "try {i}");
        c.reject(at(i * interval), &admin, "not authorized", None)
            .unwrap();
    }
    assert!(!c.is_closed());
}

#[test]
fn refusals_over_max_namespaces_count_too() {
    let config = Config {
        max_namespaces: 0,
        ..Config::default()
    };
    let mut c = Connection::new(at(0), config);
    for _ in 0..config.max_refused_connects {
        feed(&mut c, 0, "0/a,");
    }
    assert!(!closed_engine(&mut c));
    feed(&mut c, 0, "0/a,");
    assert!(closed_engine(&mut c));
}

#[test]
fn a_binary_packet_waits_for_its_attachments_no_longer_than_the_timeout() {
    let config = Config::default();
    let timeout = config.attachments_timeout.as_millis() as u64;
    let mut c = Connection::new(at(0), config);
    feed(&mut c, 0, "0");
    c.accept(at(0), &nsp("/"), "s1".to_string(), None).unwrap();
    let _ = core::iter::from_fn(|| c.poll_event()).count();
    let _ = closed_engine(&mut c);
    let header = r#"52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    // A packet that completes in time is delivered, and disarms the timer.
    feed(&mut c, 0, header);
    assert_eq!(c.poll_timeout(), Some(at(timeout)));
    c.handle_engine_message(at(1), Message::Binary(vec![1]));
    c.handle_engine_message(at(2), Message::Binary(vec![2]));
    assert!(matches!(c.poll_event(), Some(Event::Event { .. })));
    assert_eq!(c.poll_timeout(), None);
    // The timeout counts from the header, not from the last attachment.
    feed(&mut c, 10, header);
    c.handle_engine_message(at(timeout), Message::Binary(vec![1]));
    assert_eq!(c.poll_timeout(), Some(at(10 + timeout)));
    c.handle_timeout(at(10 + timeout - 1));
    assert!(!c.is_closed());
    c.handle_timeout(at(10 + timeout));
    assert!(c.is_closed());
    assert!(closed_engine(&mut c));
    let evs: Vec<Event> = core::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        evs[0],
        Event::Error {
            nsp: nsp("/"),
            error: DecodeError::AttachmentsTimeout
        }
    );
    assert!(matches!(
        evs[1],
        Event::Disconnect {
            reason: DisconnectReason::ForcedClose,
            ..
        }
    ));
}
