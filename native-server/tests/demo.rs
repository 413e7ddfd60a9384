//! The chat demo of the `sockeye-server` binary against its contract, `www/PROTOCOL.md`: the real
//! binary on a free port, driven by raw Socket.IO clients that read every packet, so that a
//! broadcast too many fails a test as surely as one too few.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use common::{Frame, Polling, Sio};
use serde_json::{Value, json};
use tokio::process::Child;

/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(300);

/// The binary, serving the real `www/`, stopped when dropped.
struct Server {
    addr: SocketAddr,
    _child: Child,
}

impl Server {
    async fn start() -> Server {
        let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
        let (child, addr) =
            common::spawn_binary(["--www", www, "--client-dir", "/nonexistent"]).await;
        Server {
            addr,
            _child: child,
        }
    }
}

/// An event as a page gets it: its one argument, its attachments, its recovery offset.
#[derive(Debug)]
struct Ev {
    name: String,
    data: Value,
    attachments: Vec<Vec<u8>>,
    offset: Option<String>,
}

/// What the server sent, parsed.
enum Packet {
    Event(Ev),
    Ack(u64, Value),
}

/// A page's socket on `/` over WebSocket: requests with acks, and every event in order.
struct Client {
    sio: Sio,
    next_ack: u64,
    events: VecDeque<Ev>,
    /// The last recovery offset received.
    offset: Option<String>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client::with_auth(addr, "").await
    }

    async fn with_auth(addr: SocketAddr, auth: &str) -> Client {
        let mut client = Client {
            sio: Sio::connect(addr, auth).await,
            next_ack: 0,
            events: VecDeque::new(),
            offset: None,
        };
        // Every connection is followed by `rooms` to everyone, this socket included.
        assert_eq!(client.expect("rooms").await["rooms"][0]["name"], "lobby");
        client
    }

    fn id(&self) -> String {
        self.sio.sid.clone()
    }

    fn pid(&self) -> String {
        self.sio.connect["pid"].as_str().unwrap().to_owned()
    }

    /// A connected client with a nick, in the lobby; its own broadcasts read.
    async fn in_lobby(addr: SocketAddr, nick: &str) -> Client {
        let mut c = Client::connect(addr).await;
        assert_eq!(c.request("nick", json!(nick)).await["ok"], true);
        assert_eq!(c.request("join", json!("lobby")).await["ok"], true);
        c.expect("presence").await;
        c.expect("rooms").await;
        c
    }

    async fn read(&mut self) -> Packet {
        let text = match self.sio.ws.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected a packet, got {other:?}"),
        };
        let packet = text
            .strip_prefix('4')
            .unwrap_or_else(|| panic!("not a message: {text}"));
        let (kind, rest) = packet.split_at(1);
        let rest = rest.to_owned();
        let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
        match kind {
            "2" | "5" => {
                let mut rest = rest.as_str();
                let mut count = 0;
                if kind == "5" {
                    let (n, tail) = rest.split_once('-').unwrap();
                    count = n.parse().unwrap();
                    rest = tail;
                }
                assert_eq!(digits(rest), 0, "the server asks no acks: {text}");
                let mut args: Vec<Value> = serde_json::from_str(rest).unwrap();
                let mut attachments = Vec::new();
                for _ in 0..count {
                    match self.sio.ws.recv().await {
                        Frame::Binary(b) => attachments.push(b),
                        other => panic!("expected an attachment, got {other:?}"),
                    }
                }
                let name = args.remove(0).as_str().unwrap().to_owned();
                assert!(!args.is_empty(), "{text}");
                let data = args.remove(0);
                let offset = match args.pop() {
                    Some(Value::String(o)) => Some(o),
                    None => None,
                    Some(other) => panic!("unexpected argument {other} in {text}"),
                };
                assert!(args.is_empty(), "{text}");
                if offset.is_some() {
                    self.offset.clone_from(&offset);
                }
                Packet::Event(Ev {
                    name,
                    data,
                    attachments,
                    offset,
                })
            }
            "3" => {
                let n = digits(&rest);
                let id = rest[..n].parse().unwrap();
                let args: Vec<Value> = serde_json::from_str(&rest[n..]).unwrap();
                assert_eq!(args.len(), 1, "an ack has one argument: {text}");
                Packet::Ack(id, args.into_iter().next().unwrap())
            }
            _ => panic!("unexpected packet {text}"),
        }
    }

    /// Sends `event` with `args` (a JSON array text) and an ack id, and waits for that ack; the
    /// events that arrive meanwhile are kept, in order.
    async fn request_args(&mut self, event: &str, args: &str) -> Value {
        self.request_packet(event, args, &[]).await
    }

    async fn request_packet(&mut self, event: &str, args: &str, attachments: &[&[u8]]) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        let rest = args.strip_prefix('[').unwrap();
        let comma = if rest.starts_with(']') { "" } else { "," };
        let body = format!("{id}[{}{comma}{rest}", json!(event));
        if attachments.is_empty() {
            self.sio.send(&format!("42{body}")).await;
        } else {
            self.sio
                .send(&format!("45{}-{body}", attachments.len()))
                .await;
            for a in attachments {
                self.sio.ws.send_binary(a).await;
            }
        }
        loop {
            match self.read().await {
                Packet::Ack(got, reply) => {
                    assert_eq!(got, id, "acks come in order");
                    return reply;
                }
                Packet::Event(ev) => self.events.push_back(ev),
            }
        }
    }

    async fn request(&mut self, event: &str, arg: Value) -> Value {
        self.request_args(event, &json!([arg]).to_string()).await
    }

    /// Sends an event without an ack id.
    async fn emit(&mut self, event: &str, arg: Value) {
        self.sio.send(&format!("42{}", json!([event, arg]))).await;
    }

    async fn event(&mut self) -> Ev {
        if let Some(ev) = self.events.pop_front() {
            return ev;
        }
        match self.read().await {
            Packet::Event(ev) => ev,
            Packet::Ack(id, reply) => panic!("unexpected ack {id} {reply}"),
        }
    }

    /// The next event, which must be `name`; its argument.
    async fn expect(&mut self, name: &str) -> Value {
        let ev = self.event().await;
        assert_eq!(ev.name, name, "{ev:?}");
        ev.data
    }

    /// Nothing more arrives.
    async fn quiet(&mut self) {
        assert!(self.events.is_empty(), "{:?}", self.events);
        if let Some(frame) = self.sio.ws.quiet_for(QUIET).await {
            panic!("expected nothing, got {frame:?}");
        }
    }
}

/// Sends `packet` from `from` until `to` receives the `typing` it relays (at most 50 tries).
async fn relayed(from: &mut Client, to: &mut Client, packet: &str) -> Ev {
    for _ in 0..50 {
        from.sio.send(packet).await;
        if let Ok(ev) = tokio::time::timeout(Duration::from_millis(500), to.event()).await {
            assert_eq!(ev.name, "typing", "{ev:?}");
            return ev;
        }
    }
    panic!("typing was never relayed");
}

fn ok_room(room: &str) -> Value {
    json!({"ok": true, "room": room})
}

fn refused(error: &str) -> Value {
    json!({"ok": false, "error": error})
}

/// A `presence` with its users sorted by nick (their order is unspecified).
fn presence(room: &str, users: &[(&Client, &str)]) -> Value {
    let mut users: Vec<(String, &str)> = users.iter().map(|(c, n)| (c.id(), *n)).collect();
    users.sort_by(|a, b| a.1.cmp(b.1));
    let users: Vec<Value> = users
        .iter()
        .map(|(id, nick)| json!({"id": id, "nick": nick}))
        .collect();
    json!({"room": room, "users": users})
}

fn sorted_presence(mut p: Value) -> Value {
    p["users"]
        .as_array_mut()
        .unwrap()
        .sort_by(|a, b| a["nick"].as_str().cmp(&b["nick"].as_str()));
    p
}

/// A `rooms` with its rooms sorted by name (their order is unspecified).
fn sorted_rooms(mut r: Value) -> Value {
    r["rooms"]
        .as_array_mut()
        .unwrap()
        .sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    r
}

const NICK_FIRST: &str = "choose a nick first";
const NICK: &str = "a nick is 1 to 24 characters";
const ROOM: &str = "room names are 1 to 16 of a-z 0-9 _ -";
const NOT_IN: &str = "you are not in that room";
const LOBBY: &str = "you cannot leave the lobby";
const TOO_MANY: &str = "you are in too many rooms";
const TEXT: &str = "a message is 1 to 2000 characters";
const IMAGE: &str = "an image is at most 700000 bytes of png, jpeg, webp or gif";
const BAD: &str = "bad request";

#[tokio::test]
async fn every_connection_gets_rooms_with_an_offset_and_is_counted_online() {
    let server = Server::start().await;
    let mut ann = Client::connect(server.addr).await;
    assert!(ann.offset.is_some(), "a new socket gets an offset at once");
    assert!(ann.sio.connect["pid"].is_string(), "recovery is on");
    let mut bob = Client::connect(server.addr).await;
    assert_eq!(
        ann.expect("rooms").await,
        json!({"online": 2, "rooms": [{"name": "lobby", "count": 0}]})
    );
    bob.sio.send("41").await;
    assert_eq!(
        ann.expect("rooms").await,
        json!({"online": 1, "rooms": [{"name": "lobby", "count": 0}]})
    );
    ann.quiet().await;
}

#[tokio::test]
async fn nick_is_trimmed_checked_and_kept() {
    let server = Server::start().await;
    let mut c = Client::connect(server.addr).await;
    for bad in [
        json!(""),
        json!("   "),
        json!("a".repeat(25)),
        json!("a\u{7}b"),
        json!("tab\there"),
        json!("del\u{7f}"),
        json!(42),
        json!(null),
        json!({"nick": "ann"}),
        json!(["ann"]),
    ] {
        assert_eq!(c.request("nick", bad.clone()).await, refused(NICK), "{bad}");
    }
    assert_eq!(c.request_args("nick", "[]").await, refused(NICK));
    assert_eq!(
        c.request("nick", json!("  ann\u{3000}\n")).await,
        json!({"ok": true, "nick": "ann"})
    );
    // 24 code points, 96 bytes.
    let emoji = "🦀".repeat(24);
    assert_eq!(
        c.request("nick", json!(emoji)).await,
        json!({"ok": true, "nick": emoji})
    );
    // No chat room yet: nobody to tell.
    c.quiet().await;
}

#[tokio::test]
async fn requests_that_need_a_nick_say_so_and_leave_needs_none() {
    let server = Server::start().await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(c.request("join", json!("lobby")).await, refused(NICK_FIRST));
    assert_eq!(
        c.request("message", json!({"room": "lobby", "text": "hi"}))
            .await,
        refused(NICK_FIRST)
    );
    assert_eq!(c.request("leave", json!("lobby")).await, refused(LOBBY));
    assert_eq!(c.request("leave", json!("rust")).await, ok_room("rust"));
    assert_eq!(c.request("leave", json!("Rust")).await, refused(ROOM));
    // `typing` without a nick is ignored, and an unknown event too.
    c.emit("typing", json!({"room": "lobby", "typing": true}))
        .await;
    c.emit("hello", json!("there")).await;
    c.quiet().await;
}

#[tokio::test]
async fn join_tells_the_room_and_everyone() {
    let server = Server::start().await;
    let mut ann = Client::connect(server.addr).await;
    let mut bob = Client::connect(server.addr).await;
    ann.expect("rooms").await;
    assert_eq!(ann.request("nick", json!("ann")).await["ok"], true);
    assert_eq!(ann.request("join", json!("lobby")).await, ok_room("lobby"));
    assert_eq!(
        ann.expect("presence").await,
        presence("lobby", &[(&ann, "ann")])
    );
    let rooms = json!({"online": 2, "rooms": [{"name": "lobby", "count": 1}]});
    assert_eq!(ann.expect("rooms").await, rooms);
    assert_eq!(
        bob.expect("rooms").await,
        rooms,
        "not in the lobby: no presence"
    );

    // A socket without a nick is in `rooms` counts but not in `presence`.
    assert_eq!(bob.request("nick", json!("bob")).await["ok"], true);
    for bad in [
        json!("Rust"),
        json!(""),
        json!("-x"),
        json!("a".repeat(17)),
        json!(3),
        json!(bob.id()),
    ] {
        assert_eq!(
            bob.request("join", bad.clone()).await,
            refused(ROOM),
            "{bad}"
        );
    }
    assert_eq!(bob.request_args("join", "[]").await, refused(ROOM));
    assert_eq!(bob.request("join", json!("rust")).await, ok_room("rust"));
    assert_eq!(
        bob.expect("presence").await,
        presence("rust", &[(&bob, "bob")])
    );
    let rooms = json!({"online": 2, "rooms": [{"name": "lobby", "count": 1}, {"name": "rust", "count": 1}]});
    assert_eq!(sorted_rooms(bob.expect("rooms").await), rooms);
    assert_eq!(sorted_rooms(ann.expect("rooms").await), rooms);

    // Joining again succeeds and sends nothing.
    assert_eq!(bob.request("join", json!("rust")).await, ok_room("rust"));
    bob.quiet().await;
    ann.quiet().await;

    // A nick change re-announces presence in each of the socket's rooms.
    assert_eq!(bob.request("join", json!("lobby")).await, ok_room("lobby"));
    assert_eq!(
        sorted_presence(bob.expect("presence").await),
        presence("lobby", &[(&ann, "ann"), (&bob, "bob")])
    );
    bob.expect("rooms").await;
    assert_eq!(
        sorted_presence(ann.expect("presence").await),
        presence("lobby", &[(&ann, "ann"), (&bob, "bob")])
    );
    ann.expect("rooms").await;
    assert_eq!(
        bob.request("nick", json!("robert")).await,
        json!({"ok": true, "nick": "robert"})
    );
    let mut got = vec![
        sorted_presence(bob.expect("presence").await),
        sorted_presence(bob.expect("presence").await),
    ];
    got.sort_by(|a, b| a["room"].as_str().cmp(&b["room"].as_str()));
    assert_eq!(
        got,
        [
            presence("lobby", &[(&ann, "ann"), (&bob, "robert")]),
            presence("rust", &[(&bob, "robert")])
        ]
    );
    assert_eq!(
        sorted_presence(ann.expect("presence").await),
        presence("lobby", &[(&ann, "ann"), (&bob, "robert")])
    );
    ann.quiet().await;
    bob.quiet().await;
}

#[tokio::test]
async fn a_socket_is_in_at_most_ten_rooms() {
    let server = Server::start().await;
    let mut c = Client::in_lobby(server.addr, "ann").await;
    for i in 1..10 {
        let room = format!("r{i}");
        assert_eq!(c.request("join", json!(room)).await, ok_room(&room));
        c.expect("presence").await;
        c.expect("rooms").await;
    }
    assert_eq!(c.request("join", json!("r10")).await, refused(TOO_MANY));
    // Already in: still fine.
    assert_eq!(c.request("join", json!("r9")).await, ok_room("r9"));
    c.quiet().await;
    assert_eq!(c.request("leave", json!("r9")).await, ok_room("r9"));
    c.expect("rooms").await;
    assert_eq!(c.request("join", json!("r10")).await, ok_room("r10"));
    c.expect("presence").await;
    assert_eq!(
        c.expect("rooms").await["rooms"].as_array().unwrap().len(),
        10
    );
}

#[tokio::test]
async fn leave_tells_the_room_without_the_leaver_and_everyone() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    for c in [&mut ann, &mut bob] {
        assert_eq!(c.request("join", json!("rust")).await, ok_room("rust"));
    }
    // ann: bob's arrival in the lobby, her join of #rust, bob's join of #rust.
    for ev in [
        "rooms", "presence", "rooms", "presence", "rooms", "presence", "rooms",
    ] {
        ann.expect(ev).await;
    }
    for ev in ["rooms", "presence", "rooms"] {
        bob.expect(ev).await;
    }
    ann.quiet().await;
    bob.quiet().await;

    assert_eq!(bob.request("leave", json!("lobby")).await, refused(LOBBY));
    assert_eq!(bob.request("leave", json!("rust!")).await, refused(ROOM));
    assert_eq!(bob.request("leave", json!("rust")).await, ok_room("rust"));
    assert_eq!(
        ann.expect("presence").await,
        presence("rust", &[(&ann, "ann")])
    );
    let rooms = json!({"online": 2, "rooms": [{"name": "lobby", "count": 2}, {"name": "rust", "count": 1}]});
    assert_eq!(sorted_rooms(ann.expect("rooms").await), rooms);
    assert_eq!(
        sorted_rooms(bob.expect("rooms").await),
        rooms,
        "no presence for the leaver"
    );
    // Not in it any more: fine, and nothing is sent.
    assert_eq!(bob.request("leave", json!("rust")).await, ok_room("rust"));
    assert_eq!(
        bob.request("message", json!({"room": "rust", "text": "hi"}))
            .await,
        refused(NOT_IN)
    );
    // The last one out ends the room.
    assert_eq!(ann.request("leave", json!("rust")).await, ok_room("rust"));
    let rooms = json!({"online": 2, "rooms": [{"name": "lobby", "count": 2}]});
    assert_eq!(ann.expect("rooms").await, rooms);
    assert_eq!(bob.expect("rooms").await, rooms);
    ann.quiet().await;
    bob.quiet().await;
}

#[tokio::test]
async fn a_text_message_reaches_the_room_s_other_sockets() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    let mut eve = Client::connect(server.addr).await; // no nick, in no room
    for ev in ["rooms", "presence", "rooms", "rooms"] {
        ann.expect(ev).await;
    }
    bob.expect("rooms").await;
    ann.quiet().await;
    bob.quiet().await;

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ack = ann
        .request("message", json!({"room": "lobby", "text": "  hello  "}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let (id, time) = (ack["id"].as_str().unwrap(), ack["time"].as_u64().unwrap());
    assert!(
        time >= before && time < before + 5_000,
        "{time} vs {before}"
    );
    let ev = bob.event().await;
    assert_eq!(ev.name, "message");
    assert_eq!(
        ev.data,
        json!({"id": id, "room": "lobby", "nick": "ann", "time": time, "text": "hello"})
    );
    assert!(
        ev.offset.is_some(),
        "a message is a broadcast, kept for recovery"
    );
    // The sender learns id and time from the ack only; others outside the room get nothing.
    ann.quiet().await;
    eve.quiet().await;

    let ack = ann
        .request("message", json!({"room": "lobby", "text": "again"}))
        .await;
    assert_ne!(ack["id"].as_str().unwrap(), id, "ids are unique");
    bob.expect("message").await;

    // Limits, counted in code points after trimming.
    let long = "é".repeat(2000);
    assert_eq!(
        ann.request("message", json!({"room": "lobby", "text": long}))
            .await["ok"],
        true
    );
    assert_eq!(bob.expect("message").await["text"], long);
    for text in [json!(""), json!(" \n\t "), json!("é".repeat(2001))] {
        assert_eq!(
            ann.request("message", json!({"room": "lobby", "text": text}))
                .await,
            refused(TEXT)
        );
    }
    bob.quiet().await;
}

#[tokio::test]
async fn badly_shaped_messages_are_refused() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let cases = [
        (json!("hello"), BAD),
        (json!(null), BAD),
        (json!(["lobby", "hi"]), BAD),
        (json!({"room": "lobby"}), BAD),
        (
            json!({"room": "lobby", "text": "hi", "image": "x", "mime": "image/png"}),
            BAD,
        ),
        (json!({"room": "lobby", "text": 5}), BAD),
        (json!({"room": "lobby", "text": null}), BAD),
        (json!({"text": "hi"}), ROOM),
        (json!({"room": "Lobby", "text": "hi"}), ROOM),
        (json!({"room": "rust", "text": "hi"}), NOT_IN),
        (
            json!({"room": "lobby", "image": "aGk=", "mime": "image/png"}),
            IMAGE,
        ),
        (
            json!({"room": "lobby", "image": [1, 2], "mime": "image/png"}),
            IMAGE,
        ),
    ];
    for (m, error) in cases {
        assert_eq!(
            ann.request("message", m.clone()).await,
            refused(error),
            "{m}"
        );
    }
    assert_eq!(ann.request_args("message", "[]").await, refused(BAD));
    ann.quiet().await;
}

#[tokio::test]
async fn an_image_message_carries_its_bytes_as_binary() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    for ev in ["rooms", "presence", "rooms"] {
        ann.expect(ev).await;
    }
    let image = |mime: &str| {
        format!(
            r#"[{{"room":"lobby","image":{{"_placeholder":true,"num":0}},"mime":{}}}]"#,
            json!(mime)
        )
    };
    // The largest image allowed: 700 000 bytes.
    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    let ack = ann
        .request_packet("message", &image("image/webp"), &[&bytes[..]])
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let ev = bob.event().await;
    assert_eq!(ev.name, "message");
    assert_eq!(
        ev.data,
        json!({"id": ack["id"], "room": "lobby", "nick": "ann", "time": ack["time"],
               "image": {"_placeholder": true, "num": 0}, "mime": "image/webp"})
    );
    assert_eq!(ev.attachments, [bytes]);
    assert!(ev.offset.is_some());
    ann.quiet().await;

    for mime in ["image/png", "image/jpeg", "image/gif"] {
        let ack = ann
            .request_packet("message", &image(mime), &[&b"GIF89a"[..]])
            .await;
        assert_eq!(ack["ok"], true, "{mime}: {ack}");
        assert_eq!(bob.event().await.data["mime"], mime);
    }
    let too_big = vec![0u8; 700_001];
    for (mime, data) in [
        ("image/png", &too_big[..]),
        ("image/png", &b""[..]),
        ("image/svg+xml", &b"<svg/>"[..]),
        ("text/plain", &b"hi"[..]),
    ] {
        assert_eq!(
            ann.request_packet("message", &image(mime), &[data]).await,
            refused(IMAGE),
            "{mime} {}",
            data.len()
        );
    }
    // No mime at all.
    let no_mime = r#"[{"room":"lobby","image":{"_placeholder":true,"num":0}}]"#;
    assert_eq!(
        ann.request_packet("message", no_mime, &[&b"x"[..]]).await,
        refused(IMAGE)
    );
    bob.quiet().await;
}

#[tokio::test]
async fn the_largest_image_fits_a_long_polling_post() {
    // On long-polling the bytes travel as base64: 700 000 bytes make 933 336 characters, under
    // maxHttpBufferSize (1e6) with the packet's text.
    let server = Server::start().await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    let p = Polling::open(server.addr).await;
    assert_eq!(p.post("40").await.status, 200);
    let packets = p.recv().await;
    assert!(packets[0].starts_with("40{"), "{packets:?}");
    let mut packets: VecDeque<String> = packets.into_iter().skip(1).collect();
    let mut next = async || loop {
        if let Some(packet) = packets.pop_front() {
            return packet;
        }
        packets.extend(p.recv().await);
    };
    assert!(next().await.starts_with(r#"42["rooms","#));
    bob.expect("rooms").await;
    assert_eq!(p.post(r#"420["nick","pat"]"#).await.status, 200);
    assert_eq!(next().await, r#"430[{"ok":true,"nick":"pat"}]"#);
    assert_eq!(p.post(r#"421["join","lobby"]"#).await.status, 200);
    assert!(next().await.starts_with(r#"42["presence","#));
    assert!(next().await.starts_with(r#"42["rooms","#));
    assert_eq!(next().await, r#"431[{"ok":true,"room":"lobby"}]"#);
    bob.expect("presence").await;
    bob.expect("rooms").await;

    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    let mut body = String::from(
        r#"451-2["message",{"room":"lobby","image":{"_placeholder":true,"num":0},"mime":"image/jpeg"}]"#,
    );
    body.push_str("\u{1e}b");
    sockeye_server::proto::base64::encode(&bytes, &mut body);
    assert!(body.len() < 1_000_000, "{}", body.len());
    assert_eq!(p.post(&body).await.status, 200);
    let ack: Value = serde_json::from_str(next().await.strip_prefix("432").unwrap()).unwrap();
    assert_eq!(ack[0]["ok"], true, "{ack}");
    let ev = bob.event().await;
    assert_eq!(
        (ev.name.as_str(), &ev.data["nick"]),
        ("message", &json!("pat"))
    );
    assert_eq!(ev.attachments, [bytes]);
}

#[tokio::test]
async fn typing_is_relayed_volatile_to_the_room_s_others_and_never_answered() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    for ev in ["rooms", "presence", "rooms"] {
        ann.expect(ev).await;
    }
    // `typing` is volatile: the server drops it while bob's WebSocket writer is still flushing an
    // earlier frame (the reference's `transport.writable`), so ann repeats it, as a typist's page
    // does, until one gets through; a relay that never happens still fails the test.
    let ev = relayed(
        &mut ann,
        &mut bob,
        r#"42["typing",{"room":"lobby","typing":true}]"#,
    )
    .await;
    assert_eq!(
        ev.data,
        json!({"room": "lobby", "id": ann.id(), "nick": "ann", "typing": true})
    );
    assert_eq!(ev.offset, None, "volatile: not kept for recovery");
    // With an ack id too: relayed, never answered.
    let ev = relayed(
        &mut ann,
        &mut bob,
        r#"427["typing",{"room":"lobby","typing":false}]"#,
    )
    .await;
    assert_eq!(ev.data["typing"], false);
    // Ignored: not in the room, malformed.
    for t in [
        json!({"room": "rust", "typing": true}),
        json!({"room": "lobby", "typing": "yes"}),
        json!({"room": "lobby"}),
        json!({"typing": true}),
        json!("lobby"),
    ] {
        ann.emit("typing", t).await;
    }
    ann.quiet().await;
    bob.quiet().await;
}

#[tokio::test]
async fn requests_without_an_ack_are_handled_all_the_same() {
    let server = Server::start().await;
    let mut c = Client::connect(server.addr).await;
    c.emit("nick", json!("ann")).await;
    c.emit("join", json!("lobby")).await;
    assert_eq!(
        c.expect("presence").await,
        presence("lobby", &[(&c, "ann")])
    );
    c.expect("rooms").await;
    c.emit("join", json!("NOPE")).await;
    c.quiet().await;
}

#[tokio::test]
async fn a_disconnection_tells_the_socket_s_rooms_and_everyone() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    assert_eq!(bob.request("join", json!("rust")).await, ok_room("rust"));
    assert_eq!(ann.request("join", json!("rust")).await, ok_room("rust"));
    // bob: his join of #rust, then ann's.
    for ev in ["presence", "rooms", "presence", "rooms"] {
        bob.expect(ev).await;
    }
    // ann: bob's connection, his join of the lobby, of #rust, then her own join.
    for ev in ["rooms", "presence", "rooms", "rooms", "presence", "rooms"] {
        ann.expect(ev).await;
    }
    ann.quiet().await;
    bob.quiet().await;

    // A deliberate disconnect (`41`): not kept for recovery.
    bob.sio.send("41").await;
    let mut got = vec![ann.expect("presence").await, ann.expect("presence").await];
    got.sort_by(|a, b| a["room"].as_str().cmp(&b["room"].as_str()));
    assert_eq!(
        got,
        [
            presence("lobby", &[(&ann, "ann")]),
            presence("rust", &[(&ann, "ann")])
        ]
    );
    assert_eq!(
        sorted_rooms(ann.expect("rooms").await),
        json!({"online": 1, "rooms": [{"name": "lobby", "count": 1}, {"name": "rust", "count": 1}]})
    );
    ann.quiet().await;
}

#[tokio::test]
async fn a_recovered_socket_gets_what_it_missed_and_is_announced_again() {
    let server = Server::start().await;
    let mut ann = Client::in_lobby(server.addr, "ann").await;
    let mut bob = Client::in_lobby(server.addr, "bob").await;
    for ev in ["rooms", "presence", "rooms"] {
        ann.expect(ev).await;
    }
    ann.quiet().await;
    let (ann_id, pid, offset) = (ann.id(), ann.pid(), ann.offset.clone().unwrap());

    // ann's transport drops (the TCP connection closes, no goodbye): the server keeps her state.
    drop(ann);
    assert_eq!(
        bob.expect("presence").await,
        presence("lobby", &[(&bob, "bob")])
    );
    let alone = json!({"online": 1, "rooms": [{"name": "lobby", "count": 1}]});
    assert_eq!(bob.expect("rooms").await, alone);
    let ack = bob
        .request(
            "message",
            json!({"room": "lobby", "text": "where are you?"}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    // Typing is volatile: never replayed.
    bob.emit("typing", json!({"room": "lobby", "typing": true}))
        .await;

    let auth = json!({"pid": pid, "offset": offset}).to_string();
    let mut ann = Client {
        sio: Sio::open(server.addr).await,
        next_ack: 0,
        events: VecDeque::new(),
        offset: None,
    };
    ann.sio.join_nsp("", &auth).await;
    assert_eq!(ann.id(), ann_id, "the same socket id");
    assert_eq!(ann.pid(), pid);
    // First what she missed, in order...
    assert_eq!(
        ann.expect("presence").await,
        presence("lobby", &[(&bob, "bob")])
    );
    assert_eq!(ann.expect("rooms").await, alone);
    let missed = ann.expect("message").await;
    assert_eq!(
        missed,
        json!({"id": ack["id"], "room": "lobby", "nick": "bob", "time": ack["time"], "text": "where are you?"})
    );
    // ...then her rooms hear of her again, and everyone gets `rooms`.
    let both = presence("lobby", &[(&ann, "ann"), (&bob, "bob")]);
    let together = json!({"online": 2, "rooms": [{"name": "lobby", "count": 2}]});
    assert_eq!(sorted_presence(ann.expect("presence").await), both);
    assert_eq!(ann.expect("rooms").await, together);
    assert_eq!(sorted_presence(bob.expect("presence").await), both);
    assert_eq!(bob.expect("rooms").await, together);
    ann.quiet().await;
    bob.quiet().await;

    // Her nick and rooms survived: she can talk at once.
    let ack = ann
        .request("message", json!({"room": "lobby", "text": "back"}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(bob.expect("message").await["nick"], "ann");
}

#[tokio::test]
async fn an_unknown_session_is_not_recovered() {
    let server = Server::start().await;
    let auth = json!({"pid": "nope", "offset": "nope"}).to_string();
    let mut c = Client::with_auth(server.addr, &auth).await;
    assert_ne!(c.pid(), "nope");
    assert_eq!(c.request("join", json!("lobby")).await, refused(NICK_FIRST));
}
