//! Pieces of the Node adapters' messages shared by the adapters and the emitter: broadcast
//! options, socket descriptions, ids, and reading JSON-or-MessagePack payloads.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sockeye_server::adapter::{BroadcastFlags, BroadcastOptions, RemoteSocketData};
use sockeye_server::{Handshake, Value};

use crate::msgpack;

/// An object from `(key, value)` pairs, in this order (the order the Node side writes them, so
/// that MessagePack bytes match).
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

pub(crate) fn num(n: u64) -> Value {
    Value::Number(n.into())
}

pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().cloned().map(Value::String).collect())
}

/// A random id of `len` letters and digits, as `uid2`.
pub(crate) fn uid(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the time still tells nodes apart in practice.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
            .to_le_bytes();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = nanos.get(i % 4).copied().unwrap_or(0).wrapping_add(i as u8);
        }
    }
    bytes
        .iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'a'),
            )
        })
        .collect()
}

/// A random id of 16 hex digits, as `socket.io-adapter`'s `ClusterAdapter` (`randomBytes(8)`).
pub(crate) fn hex_uid() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    if bytes == [0; 8] {
        bytes = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes()
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([1; 8]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A payload from another node: JSON when it starts with `{`, MessagePack otherwise (what both
/// Node adapters accept).
pub(crate) fn parse(payload: &[u8]) -> Result<Value, String> {
    if payload.first() == Some(&b'{') {
        serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))
    } else {
        msgpack::decode(payload).map_err(|e| format!("invalid msgpack: {e}"))
    }
}

pub(crate) fn json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

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

fn as_u64(v: Option<&Value>) -> Option<u64> {
    match v {
        Some(Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

fn as_bool(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
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
    let mut out = Vec::new();
    if flags.volatile {
        out.push(("volatile".to_owned(), Value::Bool(true)));
    }
    if let Some(c) = flags.compress {
        out.push(("compress".to_owned(), Value::Bool(c)));
    }
    if let Some(t) = flags.timeout {
        out.push((
            "timeout".to_owned(),
            num(u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        ));
    }
    if flags.expect_single_response {
        out.push(("expectSingleResponse".to_owned(), Value::Bool(true)));
    }
    Value::Object(out)
}

/// `{rooms, except, flags}` (the redis adapter's and the cluster adapter's order).
pub(crate) fn encode_opts(opts: &BroadcastOptions, with_flags: bool) -> Value {
    let mut rooms: Vec<&String> = opts.rooms.iter().collect();
    rooms.sort();
    let mut except: Vec<&String> = opts.except.iter().collect();
    except.sort();
    let mut out = vec![
        ("rooms".to_owned(), strings(rooms)),
        ("except".to_owned(), strings(except)),
    ];
    if with_flags {
        out.push(("flags".to_owned(), encode_flags(&opts.flags)));
    }
    Value::Object(out)
}

/// The socket.io packet `{type: 2, data, nsp}` of a broadcast.
pub(crate) fn event_packet(nsp: &str, data: &[Value]) -> Value {
    obj([
        ("type", num(2)),
        ("data", Value::Array(data.to_vec())),
        ("nsp", Value::String(nsp.to_owned())),
    ])
}

/// Reads a broadcast packet: its namespace (`/` when absent, as the Node adapter) and its data,
/// when it is an EVENT (or BINARY_EVENT).
pub(crate) fn decode_packet(v: Option<&Value>) -> Option<(String, Vec<Value>)> {
    let v = v?;
    let kind = as_u64(v.get("type"));
    if !matches!(kind, Some(2 | 5)) {
        return None;
    }
    let nsp = v
        .get("nsp")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    match v.get("data") {
        Some(Value::Array(data)) if !data.is_empty() => Some((nsp, data.clone())),
        _ => None,
    }
}

/// A socket as `fetchSockets` answers describe it.
pub(crate) fn encode_socket(s: &RemoteSocketData) -> Value {
    let h = &s.handshake;
    let headers = Value::Object(
        h.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                )
            })
            .collect(),
    );
    let query = Value::Object(
        h.query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    let handshake = obj([
        ("headers", headers),
        ("time", Value::String(js_date(h.issued))),
        (
            "address",
            Value::String(h.address.map(|a| a.ip().to_string()).unwrap_or_default()),
        ),
        ("xdomain", Value::Bool(h.xdomain)),
        ("secure", Value::Bool(h.secure)),
        ("issued", num(h.issued)),
        ("url", Value::String(h.url.clone())),
        ("query", query),
        ("auth", h.auth.clone()),
    ]);
    obj([
        ("id", Value::String(s.id.clone())),
        ("handshake", handshake),
        ("rooms", strings(&s.rooms)),
        ("data", s.data.clone()),
    ])
}

/// Reads a socket description from another node (missing parts are empty).
pub(crate) fn decode_socket(v: &Value) -> Option<RemoteSocketData> {
    let id = v.get("id")?.as_str()?.to_owned();
    let h = v.get("handshake");
    let field = |k: &str| h.and_then(|h| h.get(k));
    let mut headers = http::HeaderMap::new();
    if let Some(Value::Object(entries)) = field("headers") {
        for (k, v) in entries {
            let values: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let Ok(name) = http::HeaderName::from_bytes(k.as_bytes()) else {
                continue;
            };
            for value in values {
                if let Ok(value) = http::HeaderValue::from_str(value) {
                    headers.append(name.clone(), value);
                }
            }
        }
    }
    let issued = as_u64(field("issued")).unwrap_or(0);
    let address = field("address").and_then(Value::as_str).and_then(|a| {
        a.parse::<SocketAddr>()
            .ok()
            .or_else(|| a.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0)))
    });
    let query = match field("query") {
        Some(Value::Object(entries)) => entries
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    let handshake = Handshake {
        headers,
        time: UNIX_EPOCH + Duration::from_millis(issued),
        issued,
        address,
        xdomain: as_bool(field("xdomain")),
        secure: as_bool(field("secure")),
        url: field("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        query,
        auth: field("auth").cloned().unwrap_or(Value::Object(Vec::new())),
    };
    Some(RemoteSocketData {
        id,
        handshake,
        rooms: room_list(v.get("rooms")),
        data: v.get("data").cloned().unwrap_or(Value::Null),
    })
}

/// `Date.prototype.toString()` of a UTC time, as a Node server in UTC writes `handshake.time`.
pub(crate) fn js_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS.get((days % 7) as usize).unwrap_or(&"Thu"),
        MONTHS.get(m.saturating_sub(1) as usize).unwrap_or(&"Jan"),
        d,
        y,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil: (year, month 1-12, day 1-31) of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The number in a `PUBSUB NUMSUB` / `SHARDNUMSUB` answer for one channel.
pub(crate) fn numsub(v: &redis::Value) -> Option<usize> {
    let n = match v {
        redis::Value::Array(items) => items.get(1)?,
        redis::Value::Map(pairs) => &pairs.first()?.1,
        _ => return None,
    };
    match n {
        redis::Value::Int(n) => usize::try_from(*n).ok(),
        redis::Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_date_is_node_s_utc_to_string() {
        // new Date(1764023616000).toString() with TZ=UTC
        assert_eq!(
            js_date(1_764_023_616_000),
            "Mon Nov 24 2025 22:33:36 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            js_date(0),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }

    #[test]
    fn uids_have_the_asked_length_and_alphabet() {
        let a = uid(6);
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hex_uid().len(), 16);
        assert_ne!(hex_uid(), hex_uid());
    }
}
