//! Pieces of the Node adapters' messages shared by the adapters and the emitter: broadcast
//! options, socket descriptions, ids, reading JSON-or-MessagePack payloads, and event arguments
//! between the server's [`Args`] and the messages' value trees.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sockeye_server::adapter::{
    BroadcastFlags, BroadcastOptions, BroadcastPacket, RemoteSocketData,
};
use sockeye_server::proto::socket::args::ser;
use sockeye_server::proto::socket::packet::Nsp;
use sockeye_server::value::{Map, Values};
use sockeye_server::{Args, DataError, EmitError, Handshake, SerializeError, Value};

use crate::limits::FetchFields;
use crate::msgpack;

/// An object from `(key, value)` pairs, in this order (the order the Node side writes them, so
/// that MessagePack bytes match).
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().collect())
}

pub(crate) fn num(n: u64) -> Value {
    Value::Number(n.into())
}

pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().cloned().map(Value::String).collect())
}

/// The fields of an answer with one argument: `type` where the format puts it there,
/// `requestId`, then `field` with the argument when there is one.
pub(crate) fn answer(kind: Option<u64>, id: String, field: &str, arg: Option<Value>) -> Value {
    let mut out = Map::with_capacity(3);
    if let Some(kind) = kind {
        out.insert("type", num(kind));
    }
    out.insert("requestId", Value::String(id));
    if let Some(arg) = arg {
        out.insert(field, arg);
    }
    Value::Object(out)
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

/// Arguments as the messages carry them: an array of values, binary ones as `bin` (MessagePack)
/// where the server has attachments. Linear in their size.
pub(crate) fn values(args: &Args) -> Result<Vec<Value>, DataError> {
    Values::from_args(args).map(|values| values.0)
}

/// Values from a message as arguments, each value one (binary ones become attachments).
pub(crate) fn args(values: &[Value]) -> Result<Args, SerializeError> {
    /// Borrows the values where [`Values`] owns them: a tuple is one argument per element.
    struct Each<'a>(&'a [Value]);
    impl Serialize for Each<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeTuple;
            let mut t = serializer.serialize_tuple(self.0.len())?;
            for v in self.0 {
                t.serialize_element(v)?;
            }
            t.end()
        }
    }
    ser::to_args(&Each(values))
}

/// An answer's one argument (a client's acknowledgement, a node's server-side answer: the Node
/// adapters forward the first argument only); no argument when the message has none.
pub(crate) fn one_arg(value: Option<&Value>) -> Result<Args, SerializeError> {
    match value {
        Some(v) => args(std::slice::from_ref(v)),
        None => Ok(Args::new()),
    }
}

/// The first of `args`, which is all the Node adapters forward of an answer; `None` when there
/// is none.
pub(crate) fn first_arg(args: &Args) -> Option<Value> {
    if args.is_empty() {
        return None;
    }
    match Value::from_args(args) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!("answer not forwarded: {e}");
            None
        }
    }
}

/// Why a broadcast's arguments could not be written in a message: never expected, as `Args`
/// are valid JSON by construction, but reported rather than assumed.
pub(crate) fn emit_error(e: &DataError) -> EmitError {
    EmitError::Serialize(<SerializeError as serde::ser::Error>::custom(e))
}

/// The socket.io packet `{type: 2, data, nsp}` of a broadcast; `args` are the packet's `data`
/// (the event name first).
pub(crate) fn event_packet(nsp: &str, args: &Args) -> Result<Value, DataError> {
    Ok(obj([
        ("type", num(2)),
        ("data", Value::Array(values(args)?)),
        ("nsp", Value::String(nsp.to_owned())),
    ]))
}

/// Reads a broadcast packet, when it is an EVENT (or BINARY_EVENT) whose data starts with an
/// event name: its namespace (`/` when absent, as the Node adapter) and its data as arguments.
pub(crate) fn decode_packet(v: Option<&Value>) -> Option<BroadcastPacket> {
    let v = v?;
    let kind = as_u64(v.get("type"));
    if !matches!(kind, Some(2 | 5)) {
        return None;
    }
    let nsp = Nsp::new(v.get("nsp").and_then(Value::as_str).unwrap_or("/")).ok()?;
    let data = match v.get("data") {
        Some(Value::Array(data)) if !data.is_empty() => data,
        _ => return None,
    };
    let args = args(data).ok()?;
    args.event_name()?;
    Some(BroadcastPacket { nsp, args })
}

/// A socket as `fetchSockets` answers describe it, with the parts `fields` allows (a part left
/// out is empty: `{}` for headers, query and `auth`, `null` for `data`, which the Node adapters
/// read as a socket without them).
pub(crate) fn encode_socket(s: &RemoteSocketData, fields: &FetchFields) -> Value {
    let h = &s.handshake;
    // A repeated header or query key keeps the last value, as a reader of JSON would.
    let headers = Value::Object(
        h.headers
            .iter()
            .filter(|_| fields.sends_headers())
            .map(|(k, v)| {
                (
                    k.as_str(),
                    Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                )
            })
            .collect(),
    );
    let query = Value::Object(
        h.query
            .iter()
            .filter(|_| fields.sends_query())
            .map(|(k, v)| (k.as_str(), Value::String(v.clone())))
            .collect(),
    );
    let auth = if fields.sends_auth() {
        h.auth_value()
    } else {
        Value::Object(Map::new())
    };
    let data = if fields.sends_data() {
        s.data.clone()
    } else {
        Value::Null
    };
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
        ("auth", auth),
    ]);
    obj([
        ("id", Value::String(s.id.clone())),
        ("handshake", handshake),
        ("rooms", strings(&s.rooms)),
        ("data", data),
    ])
}

/// Reads a socket description from another node (missing parts are empty).
pub(crate) fn decode_socket(v: &Value) -> Option<RemoteSocketData> {
    let id = v.get("id")?.as_str()?.to_owned();
    let h = v.get("handshake");
    let field = |k: &str| h.and_then(|h| h.get(k));
    let mut headers = http::HeaderMap::new();
    if let Some(Value::Object(entries)) = field("headers") {
        for (k, v) in entries.iter() {
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
                (k.to_owned(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut handshake = Handshake::default();
    handshake.headers = std::sync::Arc::new(headers);
    handshake.time = UNIX_EPOCH + Duration::from_millis(issued);
    handshake.issued = issued;
    handshake.address = address;
    handshake.xdomain = as_bool(field("xdomain"));
    handshake.secure = as_bool(field("secure"));
    handshake.url = field("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    handshake.query = query;
    // Without one, the `{}` a handshake without `auth` has.
    if let Some(auth) = field("auth") {
        handshake.set_auth(auth).ok()?;
    }
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

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A broadcast as the server hands it over (the client's text and its attachment) goes out
    /// as the bytes notepack.io wrote for it, and comes back as the same arguments.
    #[test]
    fn a_broadcast_s_arguments_go_out_as_the_node_adapter_s_bytes() {
        let args = Args::from_json(
            r#"["news",{"a":1,"b":[true,null,1.5,-3,300,70000,1099511627776]},{"_placeholder":true,"num":0}]"#,
            vec![vec![1, 2, 255]],
        )
        .unwrap();
        let opts = BroadcastOptions {
            rooms: HashSet::from(["r1".to_owned()]),
            ..BroadcastOptions::default()
        };
        let msg = Value::Array(vec![
            Value::from("AbC123"),
            event_packet("/", &args).unwrap(),
            encode_opts(&opts, true),
        ]);
        // The same bytes as `msgpack::tests::a_broadcast_is_byte_for_byte_the_node_adapter_s`.
        let node = hex(
            "93a641624331323383a47479706502a46461746193a46e65777382a16101a16297c3c0cb3ff8000000\
             000000fdcd012cce00011170cf0000010000000000c4030102ffa36e7370a12f83a5726f6f6d7391a2\
             7231a665786365707490a5666c61677380",
        );
        assert_eq!(msgpack::encode(&msg), node);
        let back = msgpack::decode(&node).unwrap();
        let packet = decode_packet(back.as_array().and_then(|m| m.get(1))).unwrap();
        assert_eq!(packet.nsp.as_str(), "/");
        assert_eq!(packet.args, args);
    }

    #[test]
    fn only_event_packets_are_read() {
        let packet = |json: serde_json::Value| decode_packet(Some(&Value::from(json)));
        let ok = packet(serde_json::json!({"type": 2, "data": ["ev", 1], "nsp": "/a"})).unwrap();
        assert_eq!((ok.nsp.as_str(), ok.args.text()), ("/a", r#"["ev",1]"#));
        // No `nsp`: the main namespace, as the Node adapter.
        let root = packet(serde_json::json!({"type": 5, "data": ["ev"]})).unwrap();
        assert_eq!(root.nsp.as_str(), "/");
        for refused in [
            serde_json::json!({"type": 3, "data": ["ev"]}),
            serde_json::json!({"type": 2, "data": []}),
            serde_json::json!({"type": 2, "data": "ev"}),
            serde_json::json!({"type": 2, "data": [{"not": "a name"}]}),
            serde_json::json!({"type": 2, "data": ["ev"], "nsp": "/a,b"}),
        ] {
            assert!(packet(refused.clone()).is_none(), "{refused}");
        }
    }

    /// A socket another node described comes back with its handshake, `auth` included, and
    /// goes out again as it came.
    #[test]
    fn a_remote_socket_keeps_its_handshake() {
        let json = r#"{"id":"s1","handshake":{"headers":{"host":"a"},"time":"x","address":"::1","xdomain":false,"secure":true,"issued":1764023616000,"url":"/socket.io/?EIO=4","query":{"EIO":"4"},"auth":{"token":"t","n":[1,2]}},"rooms":["s1","r"],"data":{"k":1}}"#;
        let socket = decode_socket(&parse(json.as_bytes()).unwrap()).unwrap();
        let h = &socket.handshake;
        assert_eq!(socket.rooms, ["s1", "r"]);
        assert_eq!(
            (h.issued, h.secure, h.url.as_str()),
            (1_764_023_616_000, true, "/socket.io/?EIO=4")
        );
        assert_eq!(
            h.address.map(|a| a.ip().to_string()).as_deref(),
            Some("::1")
        );
        assert_eq!(
            h.auth_value(),
            Value::from(serde_json::json!({"token": "t", "n": [1, 2]}))
        );
        assert_eq!(h.query_param("EIO"), Some("4"));
        let again = encode_socket(&socket, &FetchFields::default());
        assert_eq!(
            again.get("handshake").and_then(|h| h.get("auth")),
            Some(&h.auth_value())
        );
        assert_eq!(
            again.get("data"),
            Some(&Value::from(serde_json::json!({"k": 1})))
        );
        // Without `auth`, the `{}` of a client that sent none.
        let bare = decode_socket(&parse(br#"{"id":"s2"}"#).unwrap()).unwrap();
        assert_eq!(bare.handshake.auth_value(), Value::Object(Map::new()));
    }

    /// The Node adapters forward an answer's first argument only, and none when it has none.
    #[test]
    fn answers_carry_their_first_argument() {
        assert_eq!(one_arg(None).unwrap().text(), "[]");
        assert_eq!(one_arg(Some(&Value::Null)).unwrap().text(), "[null]");
        let list = Value::Array(vec![Value::from(1), Value::Binary(vec![7].into())]);
        let one = one_arg(Some(&list)).unwrap();
        assert_eq!(one.text(), r#"[[1,{"_placeholder":true,"num":0}]]"#);
        assert_eq!(one.attachments(), &[vec![7]]);
        assert_eq!(first_arg(&one), Some(list));
        assert_eq!(first_arg(&Args::new()), None);
        let two = Args::from_json(r#"["a",2]"#, vec![]).unwrap();
        assert_eq!(first_arg(&two), Some(Value::from("a")));
    }

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
