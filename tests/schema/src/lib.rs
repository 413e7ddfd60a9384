//! A demo event schema, as an application's shared crate would hold it: `sockeye-server` and
//! `sockeye-client` both take it, and `tests/types/chat-events.ts` is its TypeScript (checked
//! by `tests/typescript.rs`, used by `tsc -p tests/types`).
//!
//! The tests: `tests/compile_fail.rs` (trybuild: a wrong payload, a wrong or missing
//! acknowledgement do not compile, on the server and on the client; the right ones do),
//! `tests/exchange.rs` (a typed server and a peer exchanging the events over a WebSocket),
//! `tests/ts_serde.rs` (`ts_struct!`'s interface keys are serde's wire keys).

use serde::{Deserialize, Serialize};

sockeye_core::ts_struct! {
    /// A line of the chat, as the server relays it.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ChatLine {
        /// Who wrote it.
        pub user: String,
        /// What they wrote.
        pub text: String,
        /// Its number in the room.
        pub seq: u64,
    }
}

sockeye_core::schema! {
    /// The demo chat's events.
    pub struct ChatEvents;
    types { ChatLine }
    client_to_server {
        /// A line of text; acknowledged with the number of lines so far.
        Message = "message" (text: String) -> (count: u32);
        /// Whether the user is typing.
        Typing = "typing" (active: bool);
        /// Joins a room under a name; acknowledged with no argument once joined.
        Join = "join" (room: String, user: String) -> ();
    }
    server_to_client {
        /// A line someone wrote.
        Chat = "chat" (line: ChatLine);
        /// Who is in a room.
        Members = "members" (room: String, names: Vec<String>);
        /// A question to the user; answered with a reply, or none.
        Ask = "chat:ask" (question: String) -> (answer: Option<String>);
    }
}

/// The TypeScript module for [`ChatEvents`], as `tests/types/chat-events.ts` holds it.
pub fn typescript() -> String {
    sockeye_core::schema::typescript::<ChatEvents>()
}
