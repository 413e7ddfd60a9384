// A handler or an emit with a payload of the wrong type.
use sockeye_schema_tests::{Chat, Message};

fn server(socket: sockeye_server::SocketRef) {
    socket.on_typed(Message, |_socket, text: u32| text);
    let _ = socket.emit_typed(Chat, &"a line".to_owned());
}

fn main() {
    let _ = server;
}
