//! `ts_struct!` names each field as serde names it on the wire: the keys of the TypeScript
//! interface are the keys serde_json writes, under `rename` and every `rename_all` rule.

use serde::Serialize;
use sockeye_core::schema::TsType;

/// The keys of `T`'s interface, in order.
fn ts_keys<T: TsType>() -> Vec<String> {
    let mut ts = String::new();
    T::write_declaration(&mut ts);
    ts.lines()
        .filter_map(|line| line.strip_prefix("  "))
        .map(|member| {
            let key = member.split(": ").next().unwrap_or_default();
            key.trim_matches('"').to_owned()
        })
        .collect()
}

/// The keys serde_json writes for `value`, in order.
fn wire_keys(value: &impl Serialize) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&json).unwrap_or_default();
    map.keys().cloned().collect()
}

macro_rules! case {
    ($name:ident, $rule:literal) => {
        sockeye_core::ts_struct! {
            #[derive(Default, Serialize)]
            #[serde(rename_all = $rule)]
            struct $name {
                user_name: String,
                /// Its own name wins over the rule.
                #[serde(rename = "seq:no")]
                seq_no: u64,
                #[serde(default)]
                r#type: bool,
                a_b_c: u8,
            }
        }
    };
}

case!(Camel, "camelCase");
case!(Pascal, "PascalCase");
case!(Snake, "snake_case");
case!(Lower, "lowercase");
case!(Upper, "UPPERCASE");
case!(Screaming, "SCREAMING_SNAKE_CASE");
case!(Kebab, "kebab-case");
case!(ScreamingKebab, "SCREAMING-KEBAB-CASE");

sockeye_core::ts_struct! {
    #[derive(Default, Serialize)]
    struct Plain {
        #[serde(rename = "userName", default)]
        user_name: String,
        count: u32,
    }
}

#[test]
fn interface_keys_are_the_wire_s_keys() {
    fn check<T: TsType + Serialize + Default>() {
        let mut ts = ts_keys::<T>();
        let mut wire = wire_keys(&T::default());
        // serde_json's map sorts its keys: compare as sets of names.
        ts.sort();
        wire.sort();
        assert_eq!(ts, wire, "{}", std::any::type_name::<T>());
    }
    check::<Camel>();
    check::<Pascal>();
    check::<Snake>();
    check::<Lower>();
    check::<Upper>();
    check::<Screaming>();
    check::<Kebab>();
    check::<ScreamingKebab>();
    check::<Plain>();
    assert_eq!(ts_keys::<Camel>(), ["userName", "seq:no", "type", "aBC"]);
    assert_eq!(
        ts_keys::<ScreamingKebab>(),
        ["USER-NAME", "seq:no", "TYPE", "A-B-C"]
    );
    let mut ts = String::new();
    Plain::write_declaration(&mut ts);
    assert_eq!(
        ts,
        "export interface Plain {\n  userName: string;\n  count: number;\n}\n\n"
    );
}
