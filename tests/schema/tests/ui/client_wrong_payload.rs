// A client emitting or listening with a payload of the wrong type, or the wrong direction.
use sockeye_schema_tests::{Chat, Message, Typing};

fn client(socket: sockeye_client::Socket) {
    let _ = socket.emit_typed(Typing, &"yes");
    socket.on_typed(Chat, |line: String| drop(line));
    socket.on_typed(Message, |text: String| text.len() as u32);
}

fn main() {
    let _ = client;
}
