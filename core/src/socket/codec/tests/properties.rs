//! Properties: decode(encode(p)) == p over generated packets.

use super::*;

// --- properties ---

fn json_string() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|v| {
        let mut out = String::new();
        json::write_string(&mut out, &v);
        out
    })
}

fn json_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        json_string(),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| format!("{n}.5e-3")),
        Just(s("true")),
        Just(s("null")),
    ]
}

fn event_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>()
            .prop_filter("reserved", |n| !RESERVED_EVENTS.contains(&n.as_str()))
            .prop_map(|n| {
                let mut out = String::new();
                json::write_string(&mut out, &n);
                out
            }),
        1 => any::<u32>().prop_map(|n| n.to_string()),
    ]
}

fn namespace() -> impl Strategy<Value = Nsp> {
    prop_oneof![Just(root()), "/[^,]{0,20}".prop_map(|n| nsp(&n))]
}

/// A JSON array: `head` first (the event name), then `items` with a placeholder for each
/// attachment inserted at positions picked by `seed`.
fn array(head: Option<String>, mut items: Vec<String>, attachments: usize, seed: usize) -> String {
    for num in 0..attachments {
        let at = (seed / (num + 1)) % (items.len() + 1);
        items.insert(at, format!(r#"{{"_placeholder":true,"num":{num}}}"#));
    }
    let items: Vec<String> = head.into_iter().chain(items).collect();
    format!("[{}]", items.join(","))
}

fn packet() -> impl Strategy<Value = Packet> {
    let attachments = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..=3);
    let items = prop::collection::vec(json_scalar(), 0..4);
    let id = prop::option::of(any::<u64>());
    (
        namespace(),
        event_name(),
        items,
        attachments,
        id,
        any::<usize>(),
        0..5u8,
    )
        .prop_map(
            |(nsp, name, items, attachments, id, seed, kind)| match kind {
                0 => {
                    let args = array(Some(name), items, attachments.len(), seed);
                    Packet::event(nsp, binary_args(args, attachments), id.map(AckId))
                }
                1 => {
                    let args = array(None, items, attachments.len(), seed);
                    Packet::ack(
                        nsp,
                        binary_args(args, attachments),
                        AckId(id.unwrap_or(seed as u64)),
                    )
                }
                2 => {
                    let payload = match seed % 3 {
                        0 => None,
                        1 => Some(s("{}")),
                        _ => Some(format!(
                            r#"{{"k":{}}}"#,
                            items.first().map_or("1", String::as_str)
                        )),
                    };
                    Packet::connect(nsp, payload)
                }
                3 => Packet::disconnect(nsp),
                _ => {
                    let message = items
                        .iter()
                        .find(|i| i.starts_with('"'))
                        .cloned()
                        .unwrap_or(s(r#""x""#));
                    let payload = if seed % 2 == 0 {
                        message
                    } else {
                        format!(r#"{{"message":{message}}}"#)
                    };
                    Packet::connect_error(nsp, payload)
                }
            },
        )
}

proptest! {
    #[test]
    fn decode_never_panics_on_text(text in any::<String>()) {
        let _ = Decoder::default().decode_text(&text);
    }

    #[test]
    fn decode_never_panics_on_packet_like_text(
        text in r#"[0-7]([0-9]{0,3}-)?(/[a-zé,]{0,5})?[0-9]{0,22}[\[\]{}",:a-z0-9_ ]{0,30}"#,
    ) {
        let mut d = Decoder::default();
        let _ = d.decode_text(&text);
        let _ = d.decode_binary(vec![]);
        let _ = d.decode_text(&text);
    }

    #[test]
    fn decode_never_panics_on_bytes(messages in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)), 0..6)) {
        let mut d = Decoder::default();
        for (binary, bytes) in messages {
            if binary {
                let _ = d.decode_binary(bytes);
            } else {
                let _ = d.decode_text(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    #[test]
    fn decode_inverts_encode(p in packet()) {
        let text = enc(&p);
        let mut d = Decoder::default();
        let mut status = d.decode_text(&text);
        for a in p.attachments() {
            prop_assert!(matches!(status, Ok(Status::Partial { .. })), "{text}: {status:?}");
            status = d.decode_binary(a.clone());
        }
        prop_assert_eq!(status, Ok(Status::Complete(p)), "{}", text);
    }
}
