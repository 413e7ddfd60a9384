use std::sync::Weak;

use proto::socket::packet::Nsp;

use super::*;
use crate::socketio::config::ConnectionStateRecovery;
use crate::socketio::value::Value;

fn opts(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        except: except.iter().map(|r| r.to_string()).collect(),
        flags: BroadcastFlags::default(),
    }
}

#[test]
fn recovery_replays_what_a_session_s_rooms_would_have_received() {
    let rooms = vec!["a".to_string(), "sid1".to_string()];
    assert!(included(&rooms, &opts(&[], &[])));
    assert!(included(&rooms, &opts(&["a"], &[])));
    assert!(!included(&rooms, &opts(&["b"], &[])));
    assert!(!included(&rooms, &opts(&[], &["sid1"])));
}

#[test]
fn rooms_are_selected_once_and_except_wins() {
    let adapter = MemoryAdapter::new(LocalNamespace {
        ns: Weak::new(),
        name: "/".into(),
        recovery: None,
    });
    adapter.add_all("s1", &["s1".into(), "a".into(), "b".into()]);
    adapter.add_all("s2", &["s2".into(), "a".into()]);
    let mut got = adapter.select(&opts(&["a", "b"], &[]));
    got.sort();
    assert_eq!(got, ["s1", "s2"]);
    assert_eq!(adapter.select(&opts(&["a"], &["b"])), ["s2"]);
    adapter.del_all("s1");
    let mut rooms = Adapter::rooms(&adapter);
    rooms.sort();
    assert_eq!(rooms, ["a", "s2"]);
}

/// The soak test's finding: a broadcast sent while a restored socket's middlewares ran
/// (after `restore_session` read the store, before the socket was in its rooms) reached it
/// neither way. `join_restored` now gives it back, and a later one is left to live delivery.
#[test]
fn a_broadcast_between_restore_and_join_is_given_back_once() {
    use futures_util::FutureExt;
    let adapter = MemoryAdapter::new(LocalNamespace {
        ns: Weak::new(),
        name: "/".into(),
        recovery: Some(ConnectionStateRecovery::default()),
    });
    let rooms: Vec<Room> = vec!["s1".into(), "a".into()];
    let send = |n: i64| {
        let packet = BroadcastPacket {
            nsp: Nsp::root(),
            args: proto::socket::args::ser::to_event_args("e", &n).unwrap(),
        };
        adapter.broadcast(packet, opts(&["a"], &[])).unwrap();
    };
    let last_offset =
        |adapter: &MemoryAdapter| adapter.recovery_store().unwrap().last_offset().unwrap();
    adapter.add_all("s1", &rooms);
    send(1);
    let offset = last_offset(&adapter);
    adapter.persist_session(PersistedSession {
        sid: "s1".into(),
        pid: "p1".into(),
        rooms: rooms.clone(),
        data: Value::Null,
    });
    adapter.del_all("s1");

    let restored = adapter
        .restore_session("p1", &offset)
        .now_or_never()
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(restored.missed_packets.is_empty());
    send(2); // while the middlewares run
    let late = adapter.join_restored("s1", &rooms, &offset);
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].items().nth(1), Some("2"));
    assert_eq!(
        late[0].last_str().as_deref(),
        Some(last_offset(&adapter).as_str())
    );
    assert_eq!(
        adapter.select(&opts(&["a"], &[])),
        ["s1"],
        "the next one is delivered live"
    );
}
