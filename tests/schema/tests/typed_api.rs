//! The schema's events, each used as declared, on both sides: this file compiling is the test
//! (the server's side runs in `exchange.rs`; the client's needs a browser, and its bounds are
//! the same on every target). `compile_fail.rs` holds what must not compile.
#![allow(dead_code, reason = "compiled, not called")]

use sockeye_schema_tests::{Ask, Chat, ChatLine, Join, Members, Message, Typing};

fn server(socket: sockeye_server::SocketRef) {
    socket.on_typed(Message, |_socket, text: String| text.len() as u32);
    socket.on_typed(Typing, |_socket, _active: bool| {});
    socket.on_typed_async(Join, |socket, (room, _user): (String, String)| async move {
        let _ = socket.join(room);
    });
    let line = ChatLine {
        user: "ann".into(),
        text: "hi".into(),
        seq: 1,
    };
    let _ = socket.broadcast().emit_typed(Chat, &line);
    let _ = socket.emit_typed(Members, &("lobby".to_owned(), vec!["ann".to_owned()]));
    tokio::spawn(async move {
        let answer: Result<Option<String>, _> =
            socket.emit_typed_with_ack(Ask, &"why?".to_owned()).await;
        drop(answer);
    });
}

async fn client(socket: sockeye_client::Socket) -> Result<u32, sockeye_client::Error> {
    let _chat = socket.on_typed(Chat, |line: ChatLine| drop(line));
    let _ask = socket.on_typed(Ask, |question: String| Some(question));
    socket.emit_typed(Typing, &true)?;
    socket
        .emit_typed_with_ack(Join, &("lobby".to_owned(), "ann".to_owned()))
        .await?;
    let _: u32 = socket
        .emit_typed_with_ack_timeout(Message, &"hi".to_owned(), std::time::Duration::from_secs(1))
        .await?;
    socket
        .emit_typed_with_ack(Message, &"hello".to_owned())
        .await
}

#[test]
fn the_typed_api_compiles_on_both_sides() {
    let _ = (server, client);
}
