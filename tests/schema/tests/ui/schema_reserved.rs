// A name the protocol reserves: neither end may emit it.
sockeye_core::schema! {
    pub struct Events;
    client_to_server {}
    server_to_client {
        Gone = "disconnect" ();
    }
}

fn main() {}
