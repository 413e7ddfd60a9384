// A listener of an acknowledged event that does not answer it, and an acknowledged event
// emitted without its acknowledgement.
use sockeye_schema_tests::{Ask, Message};

fn client(socket: sockeye_client::Socket) {
    socket.on_typed(Ask, |question: String| drop(question));
    let _ = socket.emit_typed(Message, &"hello".to_owned());
}

fn main() {
    let _ = client;
}
