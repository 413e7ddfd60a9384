//! Socket.IO over real connections: namespaces, CONNECT answers, acks both ways, binary, rooms and
//! broadcast with several raw clients, middlewares, disconnect reasons, recovery, axum.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Frame, Polling, Sio, WAIT, channel, fast, next, start};
use serde_json::json;
use sockeye_server::adapter::RoomEvent;
use sockeye_server::{
    AckError, ConnectError, ConnectionStateRecovery, DisconnectReason, Event, SocketIo, SocketRef,
};

#[tokio::test]
async fn connect_answers_and_unknown_namespaces() {
    let (addr, io) = start(fast()).await;
    io.ns("/admin", |_s: SocketRef| async move {});
    let mut c = Sio::connect(addr, "").await;
    assert_eq!(c.sid.len(), 20);
    assert_ne!(c.sid, c.engine_sid, "the socket id is not the engine's sid");
    assert_eq!(
        c.connect.as_object().unwrap().len(),
        1,
        "no pid without recovery"
    );

    c.send("40/random,").await;
    assert_eq!(
        c.recv().await,
        r#"44/random,{"message":"Invalid namespace"}"#
    );
    c.send("40/random").await;
    assert_eq!(
        c.recv().await,
        r#"44/random,{"message":"Invalid namespace"}"#,
        "a name ending the packet"
    );
    c.join_nsp("/admin", "").await;

    // 41 on `/` leaves the engine open: `/` can be joined again.
    c.send("41").await;
    assert_eq!(c.ws.quiet_for(Duration::from_millis(400)).await, None);
    c.join_nsp("", "").await;
}

#[tokio::test]
async fn the_connect_timeout_closes_a_connection_that_joins_nothing() {
    let (addr, _io) = start(fast().connect_timeout(Duration::from_millis(300))).await;
    let mut c = Sio::open(addr).await;
    c.ws.expect_closed().await;
    // Joining in time keeps it.
    let mut c = Sio::connect(addr, "").await;
    assert_eq!(c.ws.quiet_for(Duration::from_millis(600)).await, None);
}

#[tokio::test]
async fn events_and_acks_both_ways() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on("echo", |socket: SocketRef, ev: Event| async move {
                socket.emit("echo-back", ev.args()).unwrap();
            });
            socket.on("sum", |_s: SocketRef, ev: Event| async move {
                let (a, b): (i64, i64) = ev.data().unwrap();
                ev.ack_with(&(a + b, "done")).unwrap();
                assert!(ev.ack_with(&0).is_err(), "one answer only");
            });
            let asker = socket.clone();
            tokio::spawn(async move {
                let answer: Result<(String, u32), AckError> =
                    asker.emit_with_ack("question", &"what?").await;
                tx.send(answer).unwrap();
                let late: Result<String, AckError> = asker
                    .timeout(Duration::from_millis(200))
                    .emit_with_ack("ignored", &())
                    .await;
                tx.send(late.map(|s| (s, 0))).unwrap();
            });
        }
    });
    let mut c = Sio::connect(addr, "").await;
    assert_eq!(c.recv().await, r#"420["question","what?"]"#);
    c.send(r#"430["forty-two",42]"#).await;
    assert_eq!(next(&mut rx).await, Ok(("forty-two".to_owned(), 42)));
    assert_eq!(c.recv().await, r#"421["ignored"]"#);
    assert_eq!(next(&mut rx).await, Err(AckError::Timeout));

    c.send(r#"42["echo",1,{"a":[true,null]},"x"]"#).await;
    assert_eq!(
        c.recv_event().await,
        json!(["echo-back", 1, {"a": [true, null]}, "x"])
    );
    c.send(r#"427["sum",2,3]"#).await;
    assert_eq!(c.recv().await, r#"437[5,"done"]"#);
    // Reserved names cannot be emitted.
    let socket = io.sockets().sockets().pop().unwrap();
    assert!(socket.emit("disconnect", &()).is_err());
}

#[tokio::test]
async fn binary_anywhere_in_arguments() {
    let (addr, io) = start(fast()).await;
    io.ns("/", |socket: SocketRef| async move {
        socket.on("upload", |socket: SocketRef, ev: Event| async move {
            let (name, obj): (String, UploadObj) = ev.data().unwrap();
            socket
                .emit("stored", &(name, obj.data.len(), obj.data.clone()))
                .unwrap();
            ev.ack_with(&json!({"ok": true})).unwrap();
        });
    });
    #[derive(serde::Deserialize)]
    struct UploadObj {
        data: Bytes,
    }
    let mut c = Sio::connect(addr, "").await;
    c.send(r#"451-3["upload","a.bin",{"data":{"_placeholder":true,"num":0}}]"#)
        .await;
    c.ws.send_binary(&[1, 2, 3, 4]).await;
    assert_eq!(
        c.recv().await,
        r#"451-["stored","a.bin",4,{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(c.ws.recv().await, Frame::Binary(vec![1, 2, 3, 4]));
    assert_eq!(c.recv().await, r#"433[{"ok":true}]"#);
}

#[tokio::test]
async fn rooms_and_broadcasts_reach_the_right_clients() {
    let (addr, io) = start(fast()).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    io.sockets().on_room_event(move |ev| {
        if let RoomEvent::Create(room) | RoomEvent::Delete(room) = ev
            && room == "blue"
        {
            seen.lock().unwrap().push(format!("{ev:?}"));
        }
    });
    io.ns("/", |socket: SocketRef| async move {
        socket.on("join", |socket: SocketRef, ev: Event| async move {
            socket.join(ev.data::<String>().unwrap()).unwrap();
            ev.ack_with(&()).unwrap();
        });
        socket.on("shout", |socket: SocketRef, ev: Event| async move {
            let room: String = ev.data().unwrap();
            socket
                .to(room.as_str())
                .emit("shout", &socket.id())
                .unwrap();
        });
    });
    let mut a = Sio::connect(addr, "").await;
    let mut b = Sio::connect(addr, "").await;
    let mut c = Sio::connect(addr, "").await;
    for x in [&mut a, &mut b] {
        x.send(r#"421["join","blue"]"#).await;
        assert_eq!(x.recv().await, "431[]");
    }
    let mut rooms = io.sockets().rooms();
    rooms.sort();
    assert!(
        rooms.contains(&"blue".to_owned()) && rooms.len() == 4,
        "{rooms:?}"
    );

    io.to("blue").emit("news", &1).unwrap();
    assert_eq!(a.recv_event().await, json!(["news", 1]));
    assert_eq!(b.recv_event().await, json!(["news", 1]));
    io.except("blue").emit("news", &2).unwrap();
    assert_eq!(c.recv_event().await, json!(["news", 2]));
    // socket.to(room) leaves the sender out.
    a.send(r#"42["shout","blue"]"#).await;
    assert_eq!(b.recv_event().await, json!(["shout", a.sid]));
    io.emit("all", &()).unwrap();
    for x in [&mut a, &mut b, &mut c] {
        assert_eq!(
            x.recv_event().await,
            json!(["all"]),
            "a's queue held no shout"
        );
    }
    // fetch_sockets, sockets_join, disconnect_sockets.
    let fetched = io.in_("blue").fetch_sockets().await.unwrap();
    let mut ids: Vec<&str> = fetched.iter().map(|s| s.id()).collect();
    ids.sort();
    let mut expected = vec![a.sid.as_str(), b.sid.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    io.in_(c.sid.as_str()).sockets_join("blue");
    io.to("blue").emit("news", &3).unwrap();
    for x in [&mut a, &mut b, &mut c] {
        assert_eq!(x.recv_event().await, json!(["news", 3]));
    }
    io.in_("blue")
        .except(c.sid.as_str())
        .disconnect_sockets(false);
    assert_eq!(a.recv().await, "41");
    assert_eq!(b.recv().await, "41");
    io.in_(c.sid.as_str()).disconnect_sockets(true);
    assert_eq!(c.recv().await, "41");
    c.ws.expect_closed().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        *events.lock().unwrap(),
        ["Create(\"blue\")", "Delete(\"blue\")"]
    );
}

#[tokio::test]
async fn broadcast_with_acks_collects_or_times_out() {
    let (addr, io) = start(fast()).await;
    let mut a = Sio::connect(addr, "").await;
    let mut b = Sio::connect(addr, "").await;
    let io2 = io.clone();
    let task = tokio::spawn(async move {
        io2.timeout(Duration::from_secs(2))
            .emit_with_ack::<_, String>("ping", &())
            .await
    });
    for (x, name) in [(&mut a, "a"), (&mut b, "b")] {
        let text = x.recv().await;
        let id = text
            .strip_prefix("42")
            .unwrap()
            .split('[')
            .next()
            .unwrap()
            .to_owned();
        x.send(&format!(r#"43{id}["{name}"]"#)).await;
    }
    let mut got = task.await.unwrap().unwrap();
    got.sort();
    assert_eq!(got, ["a", "b"]);

    let io2 = io.clone();
    let task = tokio::spawn(async move {
        io2.timeout(Duration::from_millis(300))
            .emit_with_ack::<_, String>("ping", &())
            .await
    });
    let text = a.recv().await;
    let id = text
        .strip_prefix("42")
        .unwrap()
        .split('[')
        .next()
        .unwrap()
        .to_owned();
    a.send(&format!(r#"43{id}["only a"]"#)).await;
    let _ = b.recv().await;
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.error, AckError::Timeout);
    assert_eq!(err.responses.len(), 1);
    assert_eq!(err.responses[0].text(), r#"["only a"]"#);
}

#[tokio::test]
async fn middleware_errors_reach_the_client_with_data() {
    let (addr, io) = start(fast()).await;
    io.use_middleware(|socket: SocketRef| async move {
        if socket.handshake().auth_value().get("token").is_some() {
            socket.set_data(&json!({"user": "ann"})).unwrap();
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized").with_data(&json!({"code": 42})))
        }
    });
    let (tx, mut rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            tx.send(socket.data::<serde_json::Value>()).unwrap();
        }
    });
    let mut c = Sio::open(addr).await;
    c.send("40").await;
    assert_eq!(
        c.recv().await,
        r#"44{"message":"unauthorized","data":{"code":42}}"#
    );
    c.join_nsp("", r#"{"token":"t"}"#).await;
    assert_eq!(next(&mut rx).await, Some(json!({"user": "ann"})));
}

#[tokio::test]
async fn per_packet_middlewares_and_any_listeners() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel::<String>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            let any = tx.clone();
            socket.on_any(move |_, ev| any.send(format!("any:{}", ev.name())).unwrap());
            let out = tx.clone();
            socket.on_any_outgoing(move |_, ev| out.send(format!("out:{}", ev.name())).unwrap());
            socket.use_middleware(|_s: SocketRef, ev: Event| async move {
                if ev.name() == "forbidden" {
                    Err("not allowed".into())
                } else {
                    Ok(ev)
                }
            });
            let err = tx.clone();
            socket.on_error(move |_, e| err.send(format!("error:{e}")).unwrap());
            let handled = tx.clone();
            socket.on("allowed", move |socket: SocketRef, _ev: Event| {
                let handled = handled.clone();
                async move {
                    handled.send("allowed".into()).unwrap();
                    socket.emit("reply", &()).unwrap();
                }
            });
            let once = tx.clone();
            socket.once("first", move |_s: SocketRef, _ev: Event| {
                let once = once.clone();
                async move { once.send("first".into()).unwrap() }
            });
        }
    });
    let mut c = Sio::connect(addr, "").await;
    c.send(r#"42["forbidden"]"#).await;
    assert_eq!(next(&mut rx).await, "any:forbidden");
    assert_eq!(next(&mut rx).await, "error:not allowed");
    c.send(r#"42["allowed"]"#).await;
    assert_eq!(next(&mut rx).await, "any:allowed");
    assert_eq!(next(&mut rx).await, "allowed");
    assert_eq!(next(&mut rx).await, "out:reply");
    c.send(r#"42["first"]"#).await;
    c.send(r#"42["first"]"#).await;
    assert_eq!(next(&mut rx).await, "any:first");
    assert_eq!(next(&mut rx).await, "first");
    assert_eq!(
        next(&mut rx).await,
        "any:first",
        "the once handler ran once"
    );
}

#[tokio::test]
async fn disconnect_reasons() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel::<(String, DisconnectReason)>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            let tx2 = tx.clone();
            socket.on_disconnecting(move |s: SocketRef, reason: DisconnectReason| {
                let tx2 = tx2.clone();
                async move {
                    assert!(
                        s.rooms().contains(&s.id().to_owned()),
                        "rooms are still there"
                    );
                    tx2.send(("disconnecting".into(), reason)).unwrap();
                }
            });
            socket.on_disconnect(move |s: SocketRef, reason: DisconnectReason| {
                let tx = tx.clone();
                async move {
                    assert!(s.rooms().is_empty());
                    tx.send(("disconnect".into(), reason)).unwrap();
                }
            });
            socket.on(
                "kick",
                |s: SocketRef, _ev: Event| async move { s.disconnect() },
            );
        }
    });
    let mut c = Sio::connect(addr, "").await;
    c.send("41").await;
    assert_eq!(
        next(&mut rx).await,
        (
            "disconnecting".into(),
            DisconnectReason::ClientNamespaceDisconnect
        )
    );
    assert_eq!(
        next(&mut rx).await,
        (
            "disconnect".into(),
            DisconnectReason::ClientNamespaceDisconnect
        )
    );
    c.join_nsp("", "").await;
    c.send(r#"42["kick"]"#).await;
    assert_eq!(c.recv().await, "41");
    next(&mut rx).await;
    assert_eq!(
        next(&mut rx).await.1,
        DisconnectReason::ServerNamespaceDisconnect
    );
    c.join_nsp("", "").await;
    drop(c);
    next(&mut rx).await;
    assert_eq!(next(&mut rx).await.1, DisconnectReason::TransportClose);

    // Over polling: a silent client times out.
    let s = Polling::open(addr).await;
    s.post("40").await;
    s.recv().await;
    next(&mut rx).await;
    assert_eq!(next(&mut rx).await.1, DisconnectReason::PingTimeout);
    // io.close(): server shutting down, and new handshakes are refused.
    let _c = Sio::connect(addr, "").await;
    io.close().await;
    next(&mut rx).await;
    assert_eq!(next(&mut rx).await.1, DisconnectReason::ServerShuttingDown);
}

#[tokio::test]
async fn connection_state_recovery_over_a_real_reconnect() {
    let (addr, io) =
        start(fast().connection_state_recovery(ConnectionStateRecovery::default())).await;
    let (tx, mut rx) = channel::<(String, bool)>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            if !socket.recovered() {
                socket.join("room").unwrap();
                socket.set_data(&"kept").unwrap();
            }
            tx.send((socket.id().to_owned(), socket.recovered()))
                .unwrap();
            socket.on("drop", |s: SocketRef, _ev: Event| async move {
                s.conn().close()
            });
        }
    });
    let mut c = Sio::connect(addr, "").await;
    let pid = c.connect["pid"].as_str().unwrap().to_owned();
    let (sid, recovered) = next(&mut rx).await;
    assert_eq!((sid.as_str(), recovered), (c.sid.as_str(), false));

    io.to("room").emit("news", &1).unwrap();
    let event = c.recv_event().await;
    assert_eq!(event[1], 1);
    let offset = event[2]
        .as_str()
        .expect("an offset as the last argument")
        .to_owned();
    // Events with an ack id carry no offset.
    let s = io.sockets().get_socket(&c.sid).unwrap();
    let s2 = s.clone();
    tokio::spawn(async move {
        let _: Result<(), AckError> = s2
            .timeout(Duration::from_secs(1))
            .emit_with_ack("q", &())
            .await;
    });
    assert_eq!(c.recv().await, r#"420["q"]"#);

    // The server drops the transport; events sent meanwhile are kept.
    c.send(r#"42["drop"]"#).await;
    c.ws.expect_closed().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    io.to("room").emit("news", &2).unwrap();
    io.emit("news", &3).unwrap();
    io.volatile().emit("news", &4).unwrap();

    let mut c2 = Sio::open(addr).await;
    c2.join_nsp("", &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#))
        .await;
    assert_eq!(c2.sid, sid, "the same socket id");
    assert_eq!(c2.connect["pid"], pid.as_str());
    let (sid2, recovered) = next(&mut rx).await;
    assert_eq!((sid2, recovered), (sid.clone(), true));
    let missed2 = c2.recv_event().await;
    let missed3 = c2.recv_event().await;
    assert_eq!(
        (missed2[1].clone(), missed3[1].clone()),
        (json!(2), json!(3))
    );
    let recovered_socket = io.sockets().get_socket(&sid).unwrap();
    assert!(recovered_socket.rooms().contains(&"room".to_owned()));
    assert_eq!(recovered_socket.data::<String>().as_deref(), Some("kept"));

    // An unknown offset is a fresh connection.
    let mut c3 = Sio::open(addr).await;
    c3.join_nsp("", &format!(r#"{{"pid":"{pid}","offset":"nope"}}"#))
        .await;
    assert_ne!(c3.sid, sid);
    assert!(!next(&mut rx).await.1);
}

#[tokio::test]
async fn dynamic_namespaces_and_custom_paths() {
    let (addr, io) = start(fast().path("/custom-path")).await;
    let parent = io.dynamic_ns(regex::Regex::new(r"^/room-\d+$").unwrap());
    parent.on_connection(|socket: SocketRef| async move {
        socket.emit("welcome", &socket.nsp()).unwrap();
    });
    let mut ws = common::Ws::connect_path(addr, "/custom-path/", "EIO=4&transport=websocket").await;
    ws.recv_text().await;
    ws.send("40/room-12,").await;
    assert!(ws.recv_text().await.starts_with("40/room-12,{\"sid\":"));
    assert_eq!(ws.recv_text().await, r#"42/room-12,["welcome","/room-12"]"#);
    ws.send("40/room-x,").await;
    assert_eq!(
        ws.recv_text().await,
        r#"44/room-x,{"message":"Invalid namespace"}"#
    );
    assert_eq!(parent.children().len(), 1);
}

#[tokio::test]
async fn mounts_in_an_axum_router() {
    let (layer, io) = SocketIo::builder().build_layer();
    io.ns("/", |socket: SocketRef| async move {
        socket.emit("hi", &()).unwrap();
    });
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello" }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let res = common::get(addr, "/hello").await;
    assert_eq!((res.status, res.body.as_str()), (200, "hello"));
    let s = Polling::open(addr).await;
    s.post("40").await;
    let packets = s.recv().await;
    assert!(packets[0].starts_with("40{\"sid\":"), "{packets:?}");
    let packets = if packets.len() > 1 {
        packets[1..].to_vec()
    } else {
        s.recv().await
    };
    assert_eq!(packets, [r#"42["hi"]"#]);
    // And the WebSocket upgrade goes through axum too.
    let mut c = Sio::connect(addr, "").await;
    assert_eq!(c.recv_event().await, json!(["hi"]));
}

#[tokio::test]
async fn volatile_events_need_a_writable_transport() {
    let (addr, io) = start(fast().ping_interval(Duration::from_secs(10))).await;
    let s = Polling::open(addr).await;
    s.post("40").await;
    assert!(s.recv().await[0].starts_with("40{"));
    // No GET parked: the polling transport is not writable, the volatile event is dropped.
    io.volatile().emit("v", &1).unwrap();
    io.emit("n", &2).unwrap();
    assert_eq!(s.recv().await, [r#"42["n",2]"#]);
    let parked = s.start_get().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    io.volatile().emit("v", &3).unwrap();
    assert_eq!(parked.response().await.body, r#"42["v",3]"#);
}

#[tokio::test]
async fn the_mounted_service_keeps_the_server_alive_after_its_handle_is_dropped() {
    let (svc, io) = SocketIo::builder().build_svc();
    io.ns("/", |socket: SocketRef| async move {
        socket.on("echo", |_s: SocketRef, ev: Event| async move {
            let _ = ev.ack_with(&"still here");
        });
    });
    // An application that sets up its handlers and keeps only the service.
    drop(io);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
    let mut c = Sio::connect(addr, "").await;
    c.send(r#"421["echo"]"#).await;
    assert_eq!(c.recv().await, r#"431["still here"]"#);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_past_max_buffered_bytes() {
    let (addr, io) = start(fast().max_buffered_bytes(200_000)).await;
    let (tx, mut rx) = channel::<DisconnectReason>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
                let tx = tx.clone();
                async move {
                    tx.send(reason).unwrap();
                }
            });
        }
    });
    // Joined over a WebSocket, then never read again.
    let stalled = Sio::connect(addr, "").await;
    let mut healthy = Sio::connect(addr, "").await;
    // 40 MB, more than the kernel's socket buffers hold: the rest waits in the server's writer.
    let chunk = "x".repeat(10_000);
    let flood = async {
        for _ in 0..4_000 {
            if io.sockets().sockets().len() < 2 {
                break;
            }
            let _ = io.to(stalled.sid.as_str()).emit("flood", &chunk);
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(WAIT * 4, flood).await.unwrap();
    assert_eq!(next(&mut rx).await, DisconnectReason::TransportError);
    assert_eq!(
        io.sockets().sockets().len(),
        1,
        "only the stalled client went"
    );
    io.emit("still", &"here").unwrap();
    assert_eq!(healthy.recv().await, r#"42["still","here"]"#);
}
