//! The chat demo's server side: the event contract of `www/PROTOCOL.md`, on the main namespace.
//!
//! This module belongs to the `sockeye-server` binary (`main.rs` declares it), not to the library:
//! it is an application of the library's public API, the same program as the Node dev server the
//! page was written against.
//!
//! Every request (`nick`, `join`, `leave`, `message`) is answered exactly once, `{ok: true, ..}`
//! or `{ok: false, error}` with the contract's sentences (a [`Refusal`]), whatever its payload's
//! shape; `typing` is never answered. Every handler is synchronous, so the requests of one socket
//! are handled, and their broadcasts sent, in the order they arrived.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use serde::Serialize;
use sockeye_server::value::Map;
use sockeye_server::{
    AckSender, ConnectionStateRecovery, Data, DisconnectReason, Namespace, SocketIo,
    SocketIoBuilder, SocketRef, Value,
};

/// The default room: always listed, never left.
const LOBBY: &str = "lobby";
/// The most chat rooms a socket may be in, `lobby` included.
const MAX_ROOMS: usize = 10;
/// The longest nick, in code points.
const MAX_NICK: usize = 24;
/// The longest text, in code points.
const MAX_TEXT: usize = 2000;
/// The largest image, in bytes: its packet stays under `maxHttpBufferSize` on long-polling too,
/// where binary travels as base64 (700 000 × 4/3 plus the packet's text is under 1e6).
const MAX_IMAGE: usize = 700_000;
/// The image types a message may carry.
const MIMES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];
/// The page's `maxHttpBufferSize` (the reference's default, said explicitly: the image limit
/// depends on it).
const MAX_HTTP_BUFFER_SIZE: u64 = 1_000_000;

/// Why a request was refused; the `Display` is the `error` the page shows as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// `join`, `message` before a `nick`.
    #[error("choose a nick first")]
    NickFirst,
    /// A nick that is not a string of 1 to 24 code points without control characters.
    #[error("a nick is 1 to 24 characters")]
    Nick,
    /// A room name the room rule refuses (or not a string).
    #[error("room names are 1 to 16 of a-z 0-9 _ -")]
    Room,
    /// A `message` to a room the socket is not in.
    #[error("you are not in that room")]
    NotIn,
    /// `leave` of `lobby`.
    #[error("you cannot leave the lobby")]
    Lobby,
    /// A `join` beyond [`MAX_ROOMS`].
    #[error("you are in too many rooms")]
    TooMany,
    /// A text that is empty once trimmed, or too long.
    #[error("a message is 1 to 2000 characters")]
    Text,
    /// An image that is not binary, empty, too large, or of another type.
    #[error("an image is at most 700000 bytes of png, jpeg, webp or gif")]
    Image,
    /// Any other shape.
    #[error("bad request")]
    BadRequest,
}

/// The server settings the demo needs (`PROTOCOL.md`, "Server settings"): connection state
/// recovery with the reference's defaults, and `maxHttpBufferSize` 1e6.
pub(crate) fn settings(builder: SocketIoBuilder) -> SocketIoBuilder {
    builder
        .connection_state_recovery(ConnectionStateRecovery::default())
        .max_http_buffer_size(MAX_HTTP_BUFFER_SIZE)
}

/// Installs the demo's handlers on `/`; with `test_hooks`, also [`close_transport`] and
/// `test:slow-ack`.
pub(crate) fn install(io: &SocketIo, test_hooks: bool) {
    io.ns("/", move |socket: SocketRef| async move {
        let ns = socket.namespace().clone();
        if socket.recovered() {
            // Its rooms came back with it; the others saw it leave them.
            for room in chat_rooms(&socket) {
                send_presence(&ns, &room);
            }
        }
        // On every connection: this also gives a new socket a recovery offset at once.
        send_rooms(&ns);

        on_request(&socket, "nick", nick);
        on_request(&socket, "join", join);
        on_request(&socket, "leave", leave);
        on_request(&socket, "message", message);
        if test_hooks {
            socket.on(
                "test:close-transport",
                |socket: SocketRef, Data(nick): Data<Value>, ack: AckSender| {
                    let _ = ack.send(&close_transport(socket.namespace(), &nick));
                },
            );
            // `test:slow-ack(ms, value)`: answers `value` after `ms` milliseconds (the shutdown
            // test's handler still working when the server is told to stop).
            socket.on(
                "test:slow-ack",
                |Data((ms, value)): Data<(Option<u64>, Value)>, ack: AckSender| async move {
                    let ms = ms.unwrap_or(0).min(60_000);
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    let _ = ack.send(&value);
                },
            );
        }
        socket.on("typing", |socket: SocketRef, Data(t): Data<Value>| {
            typing(&socket, &t);
        });
        socket.on_disconnecting(|socket: SocketRef| {
            let rooms = chat_rooms(&socket);
            socket.extensions().insert(WasIn(rooms));
        });
        socket.on_disconnect(|socket: SocketRef, reason: DisconnectReason| async move {
            tracing::debug!(id = %socket.id(), %reason, "disconnected");
            let was_in = socket.extensions().remove::<WasIn>();
            let ns = socket.namespace();
            // The socket has left its rooms by now: presence goes out without it.
            for room in was_in.map(|w| w.0).unwrap_or_default() {
                send_presence(ns, &room);
            }
            send_rooms(ns);
        });
    });
}

/// The chat rooms a socket was in when it started disconnecting.
#[derive(Clone)]
struct WasIn(Vec<String>);

/// What a request handler answers on success: the ack's fields besides `ok`.
type Handled = Result<Reply, Refusal>;

/// A successful ack's fields besides `ok`.
#[derive(Serialize)]
#[serde(untagged)]
enum Reply {
    /// `nick`.
    Nick { nick: String },
    /// `join`, `leave`.
    Room { room: String },
    /// `message`.
    Message { id: String, time: u64 },
}

/// The ack: `{ok: true, ..reply}` or `{ok: false, error}`.
#[derive(Serialize)]
struct Ack {
    ok: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    reply: Option<Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<Handled> for Ack {
    fn from(handled: Handled) -> Ack {
        match handled {
            Ok(reply) => Ack {
                ok: true,
                reply: Some(reply),
                error: None,
            },
            Err(refusal) => Ack {
                ok: false,
                reply: None,
                error: Some(refusal.to_string()),
            },
        }
    }
}

/// Registers a request handler: it runs on the event's first argument and its answer is the ack
/// (sent when the client asked for one; dropped otherwise).
fn on_request(socket: &SocketRef, event: &str, handle: fn(&SocketRef, &Value) -> Handled) {
    socket.on(
        event,
        move |socket: SocketRef, Data(arg): Data<Value>, ack: AckSender| {
            if let Err(e) = ack.send(&Ack::from(handle(&socket, &arg))) {
                tracing::debug!(id = %socket.id(), "ack not sent: {e}");
            }
        },
    );
}

// ---- requests ----

fn nick(socket: &SocketRef, arg: &Value) -> Handled {
    let nick = valid_nick(arg).ok_or(Refusal::Nick)?;
    set_nick(socket, nick);
    let ns = socket.namespace();
    for room in chat_rooms(socket) {
        send_presence(ns, &room);
    }
    Ok(Reply::Nick {
        nick: nick.to_owned(),
    })
}

fn join(socket: &SocketRef, arg: &Value) -> Handled {
    nick_of(socket).ok_or(Refusal::NickFirst)?;
    let room = room_arg(Some(arg))?;
    let rooms = chat_rooms(socket);
    if !rooms.iter().any(|r| r == room) {
        if rooms.len() >= MAX_ROOMS {
            return Err(Refusal::TooMany);
        }
        socket.join(room).map_err(|_| Refusal::TooMany)?;
        let ns = socket.namespace();
        send_presence(ns, room);
        send_rooms(ns);
    }
    Ok(Reply::Room {
        room: room.to_owned(),
    })
}

fn leave(socket: &SocketRef, arg: &Value) -> Handled {
    let room = room_arg(Some(arg))?;
    if room == LOBBY {
        return Err(Refusal::Lobby);
    }
    if chat_rooms(socket).iter().any(|r| r == room) {
        socket.leave(room);
        let ns = socket.namespace();
        send_presence(ns, room);
        send_rooms(ns);
    }
    Ok(Reply::Room {
        room: room.to_owned(),
    })
}

/// A chat message as the room's other sockets get it: exactly one of `text` and `image`.
#[derive(Serialize)]
struct Message<'a> {
    id: String,
    room: &'a str,
    nick: &'a str,
    time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime: Option<&'a str>,
}

fn message(socket: &SocketRef, m: &Value) -> Handled {
    let Value::Object(_) = m else {
        return Err(Refusal::BadRequest);
    };
    let nick = nick_of(socket).ok_or(Refusal::NickFirst)?;
    let room = room_arg(m.get("room"))?;
    if !chat_rooms(socket).iter().any(|r| r == room) {
        return Err(Refusal::NotIn);
    }
    let mut msg = Message {
        id: next_message_id(),
        room,
        nick: &nick,
        time: now_ms(),
        text: None,
        image: None,
        mime: None,
    };
    // A key that is present counts, even with `null` (the page's `undefined` is never sent).
    match (m.get("text"), m.get("image")) {
        (Some(text), None) => {
            let Value::String(text) = text else {
                return Err(Refusal::BadRequest);
            };
            let text = trim(text);
            if !(1..=MAX_TEXT).contains(&text.chars().count()) {
                return Err(Refusal::Text);
            }
            msg.text = Some(text);
        }
        (None, Some(image)) => {
            let (Value::Binary(image), Some(mime)) = (image, m.get("mime").and_then(Value::as_str))
            else {
                return Err(Refusal::Image);
            };
            if !(1..=MAX_IMAGE).contains(&image.len()) || !MIMES.contains(&mime) {
                return Err(Refusal::Image);
            }
            msg.image = Some(image.clone());
            msg.mime = Some(mime);
        }
        _ => return Err(Refusal::BadRequest),
    }
    // `socket.to(room)`: a broadcast, so stored for recovery; the sender learns id and time from
    // the ack instead.
    if let Err(e) = socket.to(room).emit("message", &msg) {
        tracing::warn!("message not sent: {e}");
    }
    Ok(Reply::Message {
        id: msg.id,
        time: msg.time,
    })
}

/// `typing` as the room's other sockets get it.
#[derive(Serialize)]
struct Typing<'a> {
    room: &'a str,
    id: &'a str,
    nick: &'a str,
    typing: bool,
}

/// `typing`: relayed volatile to the room's other sockets; anything malformed is ignored.
fn typing(socket: &SocketRef, t: &Value) {
    let Value::Object(_) = t else {
        return;
    };
    let Some(Value::Bool(typing)) = t.get("typing") else {
        return;
    };
    let Some(nick) = nick_of(socket) else {
        return;
    };
    let Ok(room) = room_arg(t.get("room")) else {
        return;
    };
    if !chat_rooms(socket).iter().any(|r| r == room) {
        return;
    }
    let event = Typing {
        room,
        id: socket.id(),
        nick: &nick,
        typing: *typing,
    };
    if let Err(e) = socket.to(room).volatile().emit("typing", &event) {
        tracing::debug!("typing not sent: {e}");
    }
}

// ---- broadcasts ----

/// `presence`.
#[derive(Serialize)]
struct Presence<'a> {
    room: &'a str,
    users: Vec<User>,
}

/// A socket with a nick.
#[derive(Serialize)]
struct User {
    id: String,
    nick: String,
}

/// Sends `presence` to everyone in `room`: the sockets there that have a nick.
fn send_presence(ns: &Namespace, room: &str) {
    let ids = ns.adapter().sockets(&HashSet::from([room.to_owned()]));
    let users = ids
        .iter()
        .filter_map(|id| ns.get_socket(id))
        .filter_map(|s| {
            nick_of(&s).map(|nick| User {
                id: s.id().to_owned(),
                nick,
            })
        })
        .collect();
    if let Err(e) = ns.to(room).emit("presence", &Presence { room, users }) {
        tracing::warn!("presence not sent: {e}");
    }
}

/// `rooms`.
#[derive(Serialize)]
struct Rooms {
    online: usize,
    rooms: Vec<RoomCount>,
}

/// A chat room and how many sockets are in it.
#[derive(Serialize)]
struct RoomCount {
    name: String,
    count: usize,
}

/// Sends `rooms` to everyone: `lobby` always, every other chat room with its count.
fn send_rooms(ns: &Namespace) {
    let adapter = ns.adapter();
    let count = |room: &str| adapter.sockets(&HashSet::from([room.to_owned()])).len();
    let mut rooms = vec![RoomCount {
        name: LOBBY.to_owned(),
        count: count(LOBBY),
    }];
    // Only `join` creates rooms, and it checks the rule; a socket's own id room (20 characters)
    // never passes it.
    for name in adapter.rooms() {
        if name != LOBBY && is_room(&name) {
            let count = count(&name);
            rooms.push(RoomCount { name, count });
        }
    }
    let online = ns.sockets().len();
    if let Err(e) = ns.emit("rooms", &Rooms { online, rooms }) {
        tracing::warn!("rooms not sent: {e}");
    }
}

// ---- test hooks ----

/// `test:close-transport` (`--test-hooks` only; not part of `PROTOCOL.md`'s contract): closes the
/// transport of every socket whose nick is the first argument, as the reference's
/// `socket.conn.close()` does, so an end-to-end test can make the server drop a page's
/// connection and watch it recover. Answers how many it closed.
fn close_transport(ns: &Namespace, nick: &Value) -> usize {
    let Some(nick) = nick.as_str() else {
        return 0;
    };
    let targets: Vec<SocketRef> = ns
        .sockets()
        .into_iter()
        .filter(|s| nick_of(s).as_deref() == Some(nick))
        .collect();
    for socket in &targets {
        socket.conn().close();
    }
    targets.len()
}

// ---- state and rules ----

/// The socket's nick, kept in its `data` so that it survives recovery.
fn nick_of(socket: &SocketRef) -> Option<String> {
    socket
        .data_value()
        .get("nick")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn set_nick(socket: &SocketRef, nick: &str) {
    let mut data = match socket.data_value() {
        data @ Value::Object(_) => data,
        _ => Value::Object(Map::new()),
    };
    data.insert("nick", Value::from(nick));
    if let Err(e) = socket.set_data(&data) {
        tracing::warn!("nick not stored: {e}");
    }
}

/// The socket's chat rooms: the rooms it joined, not its own id room.
fn chat_rooms(socket: &SocketRef) -> Vec<String> {
    let mut rooms = socket.rooms();
    rooms.retain(|r| r != socket.id());
    rooms
}

/// A room argument: a string the room rule accepts.
fn room_arg(value: Option<&Value>) -> Result<&str, Refusal> {
    value
        .and_then(Value::as_str)
        .filter(|r| is_room(r))
        .ok_or(Refusal::Room)
}

/// The room rule, `^[a-z0-9][a-z0-9_-]{0,15}$`.
fn is_room(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && name.len() <= 16
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A nick argument, trimmed: 1 to 24 code points, no control characters.
fn valid_nick(value: &Value) -> Option<&str> {
    let nick = trim(value.as_str()?);
    let ok = (1..=MAX_NICK).contains(&nick.chars().count())
        && !nick.chars().any(|c| c <= '\u{1f}' || c == '\u{7f}');
    ok.then_some(nick)
}

/// Trims as JavaScript's `String.prototype.trim` does (the page trims the same way): Unicode
/// white space and line terminators, plus U+FEFF, but not U+0085.
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}'))
}

/// A message id, unique for the server's lifetime.
fn next_message_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("m{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The server clock in Unix milliseconds.
fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_follow_the_rule() {
        for ok in ["lobby", "a", "0", "rust-lang", "a_b", "abcdefghijklmnop"] {
            assert!(is_room(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Rust",
            "a b",
            "abcdefghijklmnopq",
            "é",
            "a.b",
            "aaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(!is_room(bad), "{bad}");
        }
    }

    #[test]
    fn nicks_are_trimmed_and_counted_in_code_points() {
        assert_eq!(valid_nick(&Value::from("  ann \n")), Some("ann"));
        assert_eq!(valid_nick(&Value::from("\u{feff}ann\u{3000}")), Some("ann"));
        assert_eq!(
            valid_nick(&Value::from("é".repeat(24))),
            Some(&*"é".repeat(24))
        );
        assert_eq!(valid_nick(&Value::from("é".repeat(25))), None);
        assert_eq!(valid_nick(&Value::from("   ")), None);
        assert_eq!(valid_nick(&Value::from("a\u{7}b")), None);
        assert_eq!(valid_nick(&Value::from("a\u{7f}")), None);
        assert_eq!(valid_nick(&Value::from(3)), None);
    }

    #[test]
    fn trim_matches_javascript() {
        // U+0085 is white space to Rust, not to JavaScript; U+FEFF the other way round.
        assert_eq!(trim("\u{85}a\u{85}"), "\u{85}a\u{85}");
        assert_eq!(trim("\u{feff}\u{2028} a \t\r\n"), "a");
    }

    #[test]
    fn acks_have_the_contract_s_shapes() {
        let ok = serde_json::to_value(Ack::from(Ok(Reply::Message {
            id: "m1".into(),
            time: 5,
        })))
        .unwrap();
        assert_eq!(ok, serde_json::json!({"ok": true, "id": "m1", "time": 5}));
        let refused = serde_json::to_value(Ack::from(Err(Refusal::TooMany))).unwrap();
        assert_eq!(
            refused,
            serde_json::json!({"ok": false, "error": "you are in too many rooms"})
        );
    }
}
