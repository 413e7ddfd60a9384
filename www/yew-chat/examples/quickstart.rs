//! The README's Yew quick start (kept equal to it by tests/package/readme.test.mjs): the lobby's
//! messages from a server running the chat demo, and a message sent with an acknowledgement,
//! with the hooks of sockeye-yew.
use std::rc::Rc;

use serde::Deserialize;
use sockeye_client::{ConnectionState, Options, Socket};
use sockeye_yew::{use_connection_state, use_emit_with_ack, use_on, use_socket};
use yew::prelude::*;

#[derive(Deserialize)]
struct Message {
    nick: String,
    text: Option<String>,
}

/// The lines shown; a reducer, so that every message is kept, however fast they come.
#[derive(Default, PartialEq)]
struct Lines(Vec<String>);

impl Reducible for Lines {
    type Action = String;
    fn reduce(self: Rc<Self>, line: String) -> Rc<Self> {
        let mut lines = self.0.clone();
        lines.push(line);
        Rc::new(Lines(lines))
    }
}

/// Connects on the first render and disconnects when unmounted.
#[function_component]
fn App() -> Html {
    let socket = use_socket("http://127.0.0.1:3000", Options::default());
    match &*socket {
        Ok(socket) => html! { <Chat socket={socket.clone()} /> },
        Err(e) => html! { <p>{ e.to_string() }</p> },
    }
}

#[derive(Properties, PartialEq)]
struct ChatProps {
    socket: Socket,
}

#[function_component]
fn Chat(ChatProps { socket }: &ChatProps) -> Html {
    let lines = use_reducer(Lines::default);
    let state = use_connection_state(socket);
    {
        let lines = lines.dispatcher();
        use_on(socket, "message", move |m: Message| {
            lines.dispatch(format!("{}: {}", m.nick, m.text.unwrap_or_default()))
        });
    }
    // Each request's acknowledgement arrives typed (here as JSON) and becomes state.
    let nick = use_emit_with_ack::<serde_json::Value>(socket, "nick");
    let join = use_emit_with_ack::<serde_json::Value>(socket, "join");
    let send = use_emit_with_ack::<serde_json::Value>(socket, "message");
    {
        let (nick, join) = (nick.clone(), join.clone());
        use_effect_with(state, move |state| {
            if *state == ConnectionState::Connected {
                nick.emit("ferris");
                join.emit("lobby");
            }
        });
    }
    let onclick = {
        let send = send.clone();
        move |_| send.emit(&serde_json::json!({ "room": "lobby", "text": "Hello from Yew" }))
    };
    html! {
        <>
            <p>{ format!("{state:?}") }</p>
            <button {onclick} disabled={send.pending()}>{ "Say hello" }</button>
            if let Some(reply) = send.data() { <p>{ format!("sent: {reply}") }</p> }
            <ul>{ for lines.0.iter().map(|line| html! { <li>{ line }</li> }) }</ul>
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
