//! Sockets as `fetchSockets` answers describe them, handshake included.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, UNIX_EPOCH};

use sockeye_server::adapter::RemoteSocketData;
use sockeye_server::value::Map;
use sockeye_server::{Handshake, Value};

use super::{as_bool, as_u64, num, obj, room_list, strings};
use crate::limits::FetchFields;

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
