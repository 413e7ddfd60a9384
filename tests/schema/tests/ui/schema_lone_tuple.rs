// A lone argument of a tuple type would travel as two arguments.
sockeye_core::schema! {
    pub struct Events;
    client_to_server {
        Move = "move" (to: (i32, i32));
    }
    server_to_client {}
}

fn main() {}
