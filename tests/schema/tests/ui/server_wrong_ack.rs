// `message` is acknowledged with a `u32`, not a `String`.
use sockeye_schema_tests::Message;

fn server(socket: sockeye_server::SocketRef) {
    socket.on_typed(Message, |_socket, text: String| text);
}

fn main() {
    let _ = server;
}
