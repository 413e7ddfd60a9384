//! Binary packets: attachments reassembled, and sent adjacent to their header.

use super::*;

// ---- binary ----

#[test]
fn binary_events_arrive_whole_and_binary_emits_are_adjacent() {
    let (mut m, s) = connected(config());
    recv(
        &mut m,
        at(1),
        r#"52-["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    m.handle_engine_message(at(1), Message::Binary(vec![1, 2]));
    assert_eq!(events(&mut m), [], "waiting for the second attachment");
    m.handle_engine_message(at(1), Message::Binary(vec![3]));
    assert_eq!(
        events(&mut m),
        [Event::Event {
            socket: s,
            args: binary_args(
                r#"["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                vec![vec![1, 2], vec![3]]
            ),
            id: None
        }]
    );

    let up = Emit::new(binary_args(
        r#"["up",{"_placeholder":true,"num":0}]"#,
        vec![vec![9, 9]],
    ))
    .with_ack();
    let h = m.emit(at(2), s, up).unwrap().unwrap();
    m.emit(at(2), s, Emit::new(args_of(r#"["after"]"#)))
        .unwrap();
    assert_eq!(
        wire(&mut m),
        [
            r#"51-0["up",{"_placeholder":true,"num":0}]"#,
            "<bin:[9, 9]>",
            r#"2["after"]"#
        ]
    );
    recv(&mut m, at(3), r#"61-0[{"_placeholder":true,"num":0}]"#);
    m.handle_engine_message(at(3), Message::Binary(vec![7]));
    assert_eq!(
        events(&mut m),
        [Event::Ack {
            socket: s,
            handle: h,
            result: Ok(binary_args(
                r#"[{"_placeholder":true,"num":0}]"#,
                vec![vec![7]]
            ))
        }]
    );
}

#[test]
fn buffered_binary_emits_flush_adjacent() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    let args = r#"["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    m.emit(
        at(0),
        s,
        Emit::new(binary_args(args, vec![vec![1], vec![2]])),
    )
    .unwrap();
    m.emit(at(0), s, Emit::new(args_of(r#"["b"]"#))).unwrap();
    m.handle_engine_open(at(0));
    recv(&mut m, at(0), r#"0{"sid":"x"}"#);
    assert_eq!(
        wire(&mut m),
        [
            "open",
            "0",
            &format!("52-{args}"),
            "<bin:[1]>",
            "<bin:[2]>",
            r#"2["b"]"#
        ]
    );
}
