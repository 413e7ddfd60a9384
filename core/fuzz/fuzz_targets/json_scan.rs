//! The JSON scanner: any text is accepted or refused with an offset, never a panic; the look-ups on
//! accepted text return valid JSON, and strings survive unescape + escape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockeye_core::json::{self, DEFAULT_MAX_DEPTH, Kind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A shallow limit too, so depth errors are reached by small inputs.
    let _ = json::scan(&text, 2);
    let scan = json::scan(&text, DEFAULT_MAX_DEPTH);
    if let Err(e) = scan {
        assert!(
            e.offset <= text.len(),
            "{e:?} is past the end of {} bytes",
            text.len()
        );
    }

    // The look-ups are total on any text, including text scan refused; an iterator that never ends
    // would show here as more items than bytes.
    assert!(json::array_items(&text).take(text.len() + 2).count() <= text.len() + 1);
    let _ = json::object_get(&text, "_placeholder");
    let _ = json::parse_string(&text);
    let _ = json::parse_u64(&text);

    let Ok(scan) = scan else { return };
    match scan.kind {
        Kind::Array => {
            for item in json::array_items(&text) {
                assert!(
                    json::scan(item, DEFAULT_MAX_DEPTH).is_ok(),
                    "item {item:?} of {text:?}"
                );
                check_value(item);
            }
        }
        Kind::Object => {
            for key in ["sid", "num", "_placeholder", "message", ""] {
                if let Some(value) = json::object_get(&text, key) {
                    assert!(
                        json::scan(value, DEFAULT_MAX_DEPTH).is_ok(),
                        "value {value:?} of {text:?}"
                    );
                    check_value(value);
                }
            }
        }
        _ => check_value(text.trim_matches([' ', '\t', '\n', '\r'])),
    }
});

/// A raw value token from an accepted text: strings unescape and re-escape to the same value.
fn check_value(raw: &str) {
    if raw.starts_with('"') {
        let value = json::parse_string(raw).expect("scan accepted this string token");
        let mut again = String::new();
        json::write_string(&mut again, &value);
        assert_eq!(
            json::parse_string(&again).as_deref(),
            Ok(&*value),
            "{raw:?} re-escaped as {again:?}"
        );
    }
    if let Some(n) = json::parse_u64(raw) {
        assert_eq!(
            raw,
            n.to_string(),
            "parse_u64 accepted a non-canonical integer"
        );
    }
}
