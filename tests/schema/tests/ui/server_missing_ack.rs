// A handler of an acknowledged event that does not acknowledge it, and an acknowledged event
// emitted without waiting for its acknowledgement.
use sockeye_schema_tests::{Ask, Message};

fn server(socket: sockeye_server::SocketRef) {
    socket.on_typed(Message, |_socket, text: String| {
        println!("{text}");
    });
    let _ = socket.emit_typed(Ask, &"why?".to_owned());
}

fn main() {
    let _ = server;
}
