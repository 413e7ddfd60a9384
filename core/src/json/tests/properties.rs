//! Properties: the scanner and the look-ups never panic, and agree on generated JSON.

use super::*;

/// Valid JSON text with whitespace here and there, and how many elements its top level has.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| alloc::format!("{f:e}")),
        any::<String>().prop_map(|s| written(&s)),
        (0u64..20).prop_map(|n| alloc::format!(r#"{{"_placeholder":true,"num":{n}}}"#)),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        let ws = prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r")];
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..8), ws.clone()).prop_map(
                |(items, ws)| alloc::format!("[{ws}{}{ws}]", items.join(&alloc::format!("{ws},")))
            ),
            (prop::collection::vec((any::<String>(), inner), 0..8), ws).prop_map(
                |(members, ws)| {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(k, v)| alloc::format!("{}{ws}:{ws}{v}", written(k)))
                        .collect();
                    alloc::format!("{{{ws}{}{ws}}}", members.join(","))
                }
            ),
        ]
    })
}

fn exercise_look_ups(text: &str) {
    let len = text.len();
    assert!(array_items(text).take(len + 2).count() <= len);
    assert!(object_entries(text).take(len + 2).count() <= len);
    let _ = object_get(text, "a");
    let _ = placeholder_num(text);
    let _ = parse_string(text);
    let _ = parse_u64(text);
}

proptest! {
    #[test]
    fn scan_never_panics(text in any::<String>()) {
        let _ = scan(&text, DEFAULT_MAX_DEPTH);
        exercise_look_ups(&text);
    }

    #[test]
    fn scan_never_panics_on_json_like_text(text in r#"[\[\]{}",:0-9a-z\\ .eE+\-_]{0,80}"#) {
        if let Ok(s) = scan(&text, 4) {
            // What scan accepts, the look-ups read consistently.
            if s.kind == Kind::Array {
                for item in array_items(&text) {
                    prop_assert!(scan(item, 4).is_ok(), "{item:?}");
                }
            }
            if s.kind == Kind::Object {
                for (_, value) in object_entries(&text) {
                    prop_assert!(scan(value, 4).is_ok(), "{value:?}");
                }
            }
        }
        exercise_look_ups(&text);
    }

    #[test]
    fn write_string_scans_and_parses_back(s in any::<String>()) {
        let out = written(&s);
        prop_assert_eq!(scan(&out, 0), Ok(Scan { kind: Kind::String, placeholders: 0, max_placeholder_num: None, depth: 0 }));
        prop_assert_eq!(parse_string(&out).unwrap(), s);
    }

    #[test]
    fn generated_json_scans(text in json_value()) {
        let s = scan(&text, 8);
        prop_assert!(s.is_ok(), "{:?}: {:?}", text, s);
        let mut wrapped = alloc::format!(" [{text}] ");
        prop_assert_eq!(array_items(&wrapped).collect::<Vec<_>>(), vec![text.as_str()]);
        push_array_item(&mut wrapped, "0");
        prop_assert_eq!(array_items(&wrapped).count(), 2);
        prop_assert_eq!(scan(&wrapped, 9).map(|w| w.placeholders), s.map(|s| s.placeholders));
    }
}
