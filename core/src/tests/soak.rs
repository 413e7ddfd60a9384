//! A seeded soak: random emits both ways (with and without acks, volatile, retried), random
//! transport cuts, latencies, partitions, black holes and server restarts; then a quiet minute,
//! and the invariants that must hold whatever happened.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use core::time::Duration;

use super::sim::{Sim, SimConfig, args_of, event_name, ms, nth_u64};
use crate::engine::{Sid, Transport};
use crate::rng::Rng;
use crate::server::Event as S;
use crate::socket::client::{AckHandle, Emit, SocketOptions};
use crate::socket::server::{self as socket_server, Event as SocketEvent};
use crate::time::Instant;

const SEEDS: u64 = 20;
const STEPS: usize = 300;

/// What the test asked of the client, by ack handle.
#[derive(Debug)]
struct ClientEmit {
    name: &'static str,
    seq: u64,
}

fn below(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// How many times each numbered event (second argument) appears in `records`.
fn counts<'a>(records: impl Iterator<Item = &'a String>) -> BTreeMap<u64, usize> {
    let mut out = BTreeMap::new();
    for args in records {
        let seq = nth_u64(args, 1).expect("numbered events only");
        *out.entry(seq).or_insert(0) += 1;
    }
    out
}

fn soak(seed: u64) {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9) ^ 0x50a_c0de);
    let mut config = SimConfig::new(seed);
    config.latency = Duration::from_millis(1 + below(&mut rng, 30));
    // WebSocket only, long-polling only, or polling upgraded to WebSocket.
    match below(&mut rng, 3) {
        0 => config.client.engine.transports = alloc::vec![Transport::WebSocket],
        1 => config.client.engine.transports = alloc::vec![Transport::Polling],
        _ => {}
    }
    if below(&mut rng, 2) == 0 {
        config.recovery = Some(Duration::from_millis(120_000));
    }
    let mut sim = Sim::new(config);
    let root = sim.socket("/");
    let options = SocketOptions {
        retries: 2,
        ack_timeout: Some(Duration::from_millis(400)),
        ..SocketOptions::default()
    };
    let admin = sim.socket_with("/admin", options);

    let mut seq = 0u64;
    let mut client_emits: BTreeMap<AckHandle, ClientEmit> = BTreeMap::new();
    let mut server_emits: BTreeMap<(Sid, socket_server::AckHandle), u64> = BTreeMap::new();
    let mut last_fault = Instant::ZERO;
    for _ in 0..STEPS {
        sim.run_for(1 + below(&mut rng, 200));
        let now = sim.now();
        seq += 1;
        match below(&mut rng, 100) {
            0..=34 => {
                let mut emit = Emit::new(args_of(format!("[\"c\",{seq}]"))).with_ack();
                if below(&mut rng, 4) == 0 {
                    emit = emit.with_timeout(Duration::from_millis(3000));
                }
                let handle = sim.emit(root, emit).expect("an ack handle");
                client_emits.insert(handle, ClientEmit { name: "c", seq });
            }
            35..=44 => {
                assert_eq!(
                    sim.emit(root, Emit::new(args_of(format!("[\"c\",{seq}]")))),
                    None
                );
            }
            45..=49 => {
                let _ = sim.emit(
                    root,
                    Emit::new(args_of(format!("[\"v\",{seq}]"))).volatile(),
                );
            }
            50..=59 => {
                let handle = sim
                    .emit(
                        admin,
                        Emit::new(args_of(format!("[\"r\",{seq}]"))).with_ack(),
                    )
                    .expect("an ack handle");
                client_emits.insert(handle, ClientEmit { name: "r", seq });
            }
            60..=74 => {
                if let Some(key) = sim.server_emit_ack("/", &format!("[\"s\",{seq}]"), None) {
                    server_emits.insert(key, seq);
                }
            }
            75..=84 => {
                let _ = sim.server_emit("/", &format!("[\"s\",{seq}]"));
            }
            85..=89 => {
                sim.cut_transport(now);
                last_fault = now;
            }
            90..=92 => {
                sim.cut_websocket(now);
                last_fault = now;
            }
            93..=95 => sim.set_latency(Duration::from_millis(1 + below(&mut rng, 50))),
            96 => {
                sim.restart_server(now);
                last_fault = now;
            }
            97 => {
                let to = now + Duration::from_millis(below(&mut rng, 5000));
                sim.partition(now, to);
                last_fault = to;
            }
            _ => {
                let to = now + Duration::from_millis(below(&mut rng, 3000));
                sim.blackhole(now, to);
                last_fault = to;
            }
        }
    }

    // A quiet minute: stale sessions time out, the client reconnects, buffers flush, acks settle.
    let quiet = last_fault.max(sim.now()) + Duration::from_millis(60_000);
    sim.run_until(quiet);
    let limit = sim.now() + Duration::from_millis(60_000);
    let back = sim.run_until_that(limit, |s| s.is_connected(root) && s.is_connected(admin));
    assert!(
        back,
        "seed {seed}: the client never reconnected\n{}",
        sim.dump()
    );
    // And it works: one last echo, acked.
    let last = sim
        .emit(root, Emit::new(args_of(r#"["c",0]"#)).with_ack())
        .expect("an ack handle");
    client_emits.insert(last, ClientEmit { name: "c", seq: 0 });
    sim.run_for(10_000);
    assert!(
        sim.is_connected(root) && sim.is_connected(admin),
        "seed {seed}"
    );

    sim.assert_clean();

    // Time never went backwards, in any log.
    assert!(
        sim.wire.windows(2).all(|w| w[0].at <= w[1].at),
        "seed {seed}"
    );
    assert!(
        sim.client_log.windows(2).all(|w| w[0].0 <= w[1].0),
        "seed {seed}"
    );
    assert!(
        sim.server_log.windows(2).all(|w| w[0].0 <= w[1].0),
        "seed {seed}"
    );

    // What the server received: at most once, unless the emit goes through the retry queue.
    let received = sim.server_received_all();
    let by_name = |name: &str| {
        counts(
            received
                .iter()
                .filter(|args| event_name(args).as_deref() == Some(name)),
        )
    };
    let c_counts = by_name("c");
    let r_counts = by_name("r");
    for (seq, n) in c_counts.iter().chain(by_name("v").iter()) {
        assert_eq!(*n, 1, "seed {seed}: event {seq} received {n} times");
    }

    // Every client ack handle was answered exactly once; an Ok means the server got the event.
    let acks = sim.client_acks();
    let mut answered: BTreeMap<AckHandle, usize> = BTreeMap::new();
    for (_, handle, result) in &acks {
        *answered.entry(*handle).or_insert(0) += 1;
        let emit = client_emits.get(handle).expect("a handle the client gave");
        if let Ok(args) = result {
            assert_eq!(*args, format!("[{}]", emit.seq), "seed {seed}");
            let got = if emit.name == "c" {
                &c_counts
            } else {
                &r_counts
            };
            assert!(
                got.get(&emit.seq).is_some_and(|n| *n >= 1),
                "seed {seed}: {emit:?} acked but never received"
            );
        }
    }
    for handle in client_emits.keys() {
        assert_eq!(
            answered.get(handle),
            Some(&1),
            "seed {seed}: ack {handle:?} ({:?}) answered {:?} times",
            client_emits.get(handle),
            answered.get(handle)
        );
    }
    assert_eq!(
        acks.last().map(|a| (a.1, a.2.clone())),
        Some((last, Ok(String::from("[0]"))))
    );

    // What the client received from the server: never twice (recovery replays only what it
    // missed); a server ack Ok means the client got the event.
    let client_got = counts(sim.client_received("s").iter().map(|r| &r.2));
    for (seq, n) in &client_got {
        assert_eq!(
            *n,
            1,
            "seed {seed}: server event {seq} received {n} times\n{}",
            sim.dump()
        );
    }
    let closed: BTreeSet<Sid> = sim
        .server_events(|e| matches!(e, S::Close(_)))
        .into_iter()
        .map(|(_, sid, _)| sid)
        .collect();
    let mut server_answered: BTreeMap<(Sid, socket_server::AckHandle), usize> = BTreeMap::new();
    for (_, sid, e) in &sim.server_log {
        if let S::Socket(SocketEvent::Ack { handle, result, .. }) = e {
            let key = (sid.clone(), *handle);
            *server_answered.entry(key.clone()).or_insert(0) += 1;
            let seq = server_emits.get(&key).expect("a handle the server gave");
            if let Ok(args) = result {
                assert_eq!(args.text(), format!("[{seq}]"), "seed {seed}");
                assert!(
                    client_got.contains_key(seq),
                    "seed {seed}: {seq} acked, never received"
                );
            }
        }
    }
    for (key, seq) in &server_emits {
        let n = server_answered.get(key).copied().unwrap_or(0);
        // A session forgotten in a restart never answers; every other one answers exactly once.
        let forgotten = !closed.contains(&key.0) && sim.session(&key.0).is_none();
        if forgotten {
            assert!(n <= 1, "seed {seed}");
        } else {
            assert_eq!(n, 1, "seed {seed}: server ack for {seq} answered {n} times");
        }
    }
}

#[test]
fn soak_random_traffic_and_faults_keeps_every_promise() {
    for seed in 0..SEEDS {
        soak(seed);
    }
}

#[test]
fn soak_runs_are_deterministic() {
    let run = |seed| {
        let mut config = SimConfig::new(seed);
        config.recovery = Some(Duration::from_millis(60_000));
        let mut sim = Sim::new(config);
        let root = sim.socket("/");
        for n in 0..20u64 {
            sim.run_for(37);
            let _ = sim.emit(root, Emit::new(args_of(format!("[\"c\",{n}]"))).with_ack());
            if n % 7 == 3 {
                sim.cut_transport(sim.now());
            }
        }
        sim.run_until(ms(30_000));
        sim.dump()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}
