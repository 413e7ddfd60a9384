//! Both ends on the MessagePack parser: the same events, acks and recovery as with JSON, over
//! polling, the upgrade and WebSocket.

use super::*;
use crate::socket::Parser;

fn msgpack(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed);
    config.client.manager.parser = Parser::MessagePack;
    config.socket.parser = Parser::MessagePack;
    config.recovery = Some(Duration::from_millis(120_000));
    config
}

#[test]
fn events_binary_acks_and_recovery_work_as_with_json() {
    let mut sim = Sim::new(msgpack(41));
    let root = sim.socket("/");
    sim.run_until(ms(100));
    assert!(sim.is_connected(root));

    // A binary event with an ack, before and after the upgrade: the server acks with its args.
    let args = Args::from_json(
        r#"["up",{"f":{"_placeholder":true,"num":0}},2.5]"#,
        alloc::vec![alloc::vec![1, 2, 3]],
    )
    .unwrap();
    let handle = sim.emit(root, Emit::new(args.clone()).with_ack()).unwrap();
    sim.run_for(2000);
    let received = sim.server_received("up");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].3, args.text());
    assert_eq!(sim.client_acks().len(), 1);
    assert_eq!(sim.client_acks()[0].1, handle);
    assert_eq!(
        sim.client_acks()[0].2.as_deref(),
        Ok(r#"[{"f":{"_placeholder":true,"num":0}},2.5]"#)
    );

    // Server emits carry their offset; a cut transport replays what was missed.
    let emitted = sim.server_emit("/", r#"["tick",1]"#);
    assert_eq!(emitted.offset.as_deref(), Some("o1"));
    sim.run_for(10);
    assert_eq!(sim.client_received("tick")[0].2, r#"["tick",1,"o1"]"#);
    let at = sim.now() + Duration::from_millis(10);
    sim.cut_transport(at);
    sim.run_until(at);
    let _ = sim.server_emit("/", r#"["tick",2]"#);
    assert!(sim.run_until_that(ms(20_000), |s| s.is_connected(root)));
    sim.run_for(100);
    assert!(sim.client.manager().is_recovered(root));
    let ticks: Vec<String> = sim
        .client_received("tick")
        .into_iter()
        .map(|t| t.2)
        .collect();
    assert_eq!(ticks, [r#"["tick",1,"o1"]"#, r#"["tick",2,"o2"]"#]);
    sim.assert_clean();
}
