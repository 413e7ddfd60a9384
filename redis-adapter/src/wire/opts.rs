//! Rooms and broadcast options (`{rooms, except, flags}`) as the messages carry them.

use std::collections::HashSet;
use std::time::Duration;

use sockeye_server::Value;
use sockeye_server::adapter::{BroadcastFlags, BroadcastOptions};
use sockeye_server::value::Map;

use super::{as_bool, as_u64, num, strings};

/// A room name from a message: a string, or a number as JavaScript prints it.
fn room(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn rooms(v: Option<&Value>) -> HashSet<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(room).collect(),
        _ => HashSet::new(),
    }
}

/// A list of room names (the `rooms` of a join or leave request).
pub(crate) fn room_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(room).collect(),
        Some(v) => room(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Reads `{rooms, except, flags}`.
pub(crate) fn decode_opts(v: Option<&Value>) -> BroadcastOptions {
    let Some(v) = v else {
        return BroadcastOptions::default();
    };
    let flags = v.get("flags");
    BroadcastOptions {
        rooms: rooms(v.get("rooms")),
        except: rooms(v.get("except")),
        flags: BroadcastFlags {
            local: false,
            volatile: as_bool(flags.and_then(|f| f.get("volatile"))),
            compress: match flags.and_then(|f| f.get("compress")) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            },
            timeout: as_u64(flags.and_then(|f| f.get("timeout"))).map(Duration::from_millis),
            expect_single_response: as_bool(flags.and_then(|f| f.get("expectSingleResponse"))),
        },
    }
}

/// Writes a broadcast's flags as the Node `BroadcastOperator` sets them (unset ones absent).
pub(crate) fn encode_flags(flags: &BroadcastFlags) -> Value {
    let mut out = Map::new();
    if flags.volatile {
        out.insert("volatile", Value::Bool(true));
    }
    if let Some(c) = flags.compress {
        out.insert("compress", Value::Bool(c));
    }
    if let Some(t) = flags.timeout {
        out.insert(
            "timeout",
            num(u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        );
    }
    if flags.expect_single_response {
        out.insert("expectSingleResponse", Value::Bool(true));
    }
    Value::Object(out)
}

/// `{rooms, except, flags}` (the redis adapter's and the cluster adapter's order).
pub(crate) fn encode_opts(opts: &BroadcastOptions, with_flags: bool) -> Value {
    let mut rooms: Vec<&String> = opts.rooms.iter().collect();
    rooms.sort();
    let mut except: Vec<&String> = opts.except.iter().collect();
    except.sort();
    let mut out = Map::with_capacity(3);
    out.insert("rooms", strings(rooms));
    out.insert("except", strings(except));
    if with_flags {
        out.insert("flags", encode_flags(&opts.flags));
    }
    Value::Object(out)
}
