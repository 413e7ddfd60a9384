//! The README's Yew quick start (kept equal to it by tests/package/readme.test.mjs): the lobby's
//! messages from a server running the chat demo, and one message sent with an acknowledgement.
use std::rc::Rc;

use serde::Deserialize;
use sockeye_client::{Options, Socket};
use yew::{platform::spawn_local, prelude::*};

#[derive(Deserialize)]
struct Message {
    nick: String,
    text: Option<String>,
}

/// The lines shown; a reducer, so the socket's handler never holds a stale copy.
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

#[function_component]
fn Chat() -> Html {
    let lines = use_reducer(Lines::default);
    let socket = use_memo((), |()| {
        Socket::connect("http://127.0.0.1:3000", Options::default()).ok()
    });
    {
        let (socket, lines) = (socket.clone(), lines.dispatcher());
        use_effect_with((), move |()| {
            let Some(socket) = (*socket).clone() else {
                return;
            };
            let show = lines.clone();
            socket.on("message", move |m: Message| {
                show.dispatch(format!("{}: {}", m.nick, m.text.unwrap_or_default()))
            });
            spawn_local(async move {
                // Requests are acknowledged; the reply arrives typed (here as JSON).
                for (event, arg) in [("nick", "ferris"), ("join", "lobby")] {
                    let _: Result<serde_json::Value, _> = socket.emit_with_ack(event, &arg).await;
                }
                let message = serde_json::json!({ "room": "lobby", "text": "Hello from Yew" });
                match socket
                    .emit_with_ack::<serde_json::Value>("message", &message)
                    .await
                {
                    Ok(reply) => lines.dispatch(format!("sent: {reply}")),
                    Err(e) => lines.dispatch(format!("not sent: {e}")),
                }
            });
        });
    }
    html! { <ul>{ for lines.0.iter().map(|line| html! { <li>{ line }</li> }) }</ul> }
}

fn main() {
    yew::Renderer::<Chat>::new().render();
}
