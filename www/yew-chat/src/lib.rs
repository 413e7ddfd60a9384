//! The Sockeye chat demo in Yew: the lobby of the JS demo page (`www/`), written against
//! sockeye-client's typed Rust API, on the same server and the same event contract
//! (`www/PROTOCOL.md`): pick a nick (`nick`), join `lobby` (`join`), send and receive text
//! (`message`), see who is there (`presence`).
//!
//! Every payload is a serde type; acknowledgements are awaited futures; the socket's lifecycle
//! (connect, disconnect, recovery) arrives as a stream. No JS value appears anywhere.

use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sockeye_client::{Options, Socket, SocketEvent};
use sockeye_yew::{use_on, use_socket};
use wasm_bindgen::prelude::*;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

/// The room this page lives in.
const LOBBY: &str = "lobby";
/// How long a request waits for its acknowledgement (the JS page's figure).
const ACK_TIMEOUT: Duration = Duration::from_secs(15);

/// A request's acknowledgement: `{ ok: true, ...reply }` or `{ ok: false, error }`.
#[derive(Deserialize)]
struct Ack {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

/// `message` from the server (text only here: an image message shows as a note).
#[derive(Clone, Deserialize, PartialEq)]
struct Message {
    room: String,
    nick: String,
    #[serde(default)]
    text: Option<String>,
}

/// `message` to the server.
#[derive(Serialize)]
struct Outgoing<'a> {
    room: &'a str,
    text: &'a str,
}

/// `presence` from the server.
#[derive(Deserialize)]
struct Presence {
    room: String,
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    nick: String,
}

/// A line of the chat, as shown.
#[derive(Clone, PartialEq)]
struct Line {
    nick: String,
    text: String,
    /// Sent from this page (its number here): pending until acknowledged.
    mine: Option<u64>,
    delivered: bool,
}

/// What the page shows.
#[derive(Clone, Default, PartialEq)]
struct Chat {
    connection: &'static str,
    nick: Option<String>,
    users: Vec<String>,
    lines: Vec<Line>,
    error: Option<String>,
}

enum Action {
    Connection(&'static str),
    Nick(String),
    Presence(Vec<String>),
    Received(Message),
    Sending(u64, String),
    Delivered(u64),
    Failed(String),
}

impl Reducible for Chat {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut chat = (*self).clone();
        match action {
            Action::Connection(state) => chat.connection = state,
            Action::Nick(nick) => {
                chat.nick = Some(nick);
                chat.error = None;
            }
            Action::Presence(mut users) => {
                users.sort();
                chat.users = users;
            }
            Action::Received(m) => chat.lines.push(Line {
                nick: m.nick,
                text: m.text.unwrap_or_else(|| String::from("(an image)")),
                mine: None,
                delivered: true,
            }),
            Action::Sending(n, text) => chat.lines.push(Line {
                nick: chat.nick.clone().unwrap_or_default(),
                text,
                mine: Some(n),
                delivered: false,
            }),
            Action::Delivered(n) => {
                if let Some(line) = chat.lines.iter_mut().find(|l| l.mine == Some(n)) {
                    line.delivered = true;
                }
            }
            Action::Failed(error) => chat.error = Some(error),
        }
        Rc::new(chat)
    }
}

/// Sends a request and turns its acknowledgement into `Ok(())` or the server's sentence.
async fn request<T: Serialize + ?Sized>(
    socket: &Socket,
    event: &str,
    arg: &T,
) -> Result<(), String> {
    let ack: Ack = socket
        .emit_with_ack_timeout(event, arg, ACK_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    match ack {
        Ack { ok: true, .. } => Ok(()),
        Ack { error, .. } => Err(error.unwrap_or_else(|| String::from("refused"))),
    }
}

/// `nick`, then `join` of the lobby.
async fn sign_in(socket: &Socket, nick: &str) -> Result<(), String> {
    request(socket, "nick", nick).await?;
    request(socket, "join", LOBBY).await
}

/// The page: one connection for its lifetime, to the server that served it.
#[function_component]
fn App() -> Html {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok());
    let socket = use_socket(origin.as_deref().unwrap_or("/"), Options::default());
    match &*socket {
        Ok(socket) => html! { <Lobby socket={socket.clone()} /> },
        Err(_) => {
            html! { <p class="error">{ "This browser cannot open a Socket.IO connection." }</p> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct LobbyProps {
    socket: Socket,
}

#[function_component]
fn Lobby(props: &LobbyProps) -> Html {
    let socket = props.socket.clone();
    let chat = use_reducer(|| Chat {
        connection: "connecting",
        ..Chat::default()
    });
    // The nick this page signed in with, for the sign-in after a reconnection not recovered.
    let signed_in = use_mut_ref(|| None::<String>);

    {
        let dispatch = chat.dispatcher();
        use_on(&socket, "message", move |m: Message| {
            if m.room == LOBBY {
                dispatch.dispatch(Action::Received(m));
            }
        });
    }
    {
        let dispatch = chat.dispatcher();
        use_on(&socket, "presence", move |p: Presence| {
            if p.room == LOBBY {
                dispatch.dispatch(Action::Presence(
                    p.users.into_iter().map(|u| u.nick).collect(),
                ));
            }
        });
    }
    {
        // The indicator's words and the sign-in again after a new session come from the socket's
        // lifecycle events, which carry more than `use_connection_state` (recovered or not).
        let (dispatch, signed_in) = (chat.dispatcher(), signed_in.clone());
        use_effect_with(socket.clone(), move |socket| {
            let mut events = socket.events();
            let socket = socket.clone();
            spawn_local(async move {
                while let Some(event) = events.next().await {
                    let state = match event {
                        SocketEvent::Connect if socket.recovered() => "recovered",
                        SocketEvent::Connect => {
                            // A new session (the server restarted, or the old one expired).
                            let nick = signed_in.borrow().clone();
                            if let Some(nick) = nick {
                                let (socket, d) = (socket.clone(), dispatch.clone());
                                spawn_local(async move {
                                    if let Err(e) = sign_in(&socket, &nick).await {
                                        d.dispatch(Action::Failed(e));
                                    }
                                });
                            }
                            "connected"
                        }
                        SocketEvent::Disconnect(_) => "reconnecting",
                        SocketEvent::ConnectError(e) => {
                            dispatch.dispatch(Action::Failed(e.message));
                            continue;
                        }
                        _ => continue,
                    };
                    dispatch.dispatch(Action::Connection(state));
                }
            });
        });
    }

    let nick_input = use_node_ref();
    let on_nick = {
        let (socket, dispatch, input) = (socket.clone(), chat.dispatcher(), nick_input.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let nick = input.value().trim().to_owned();
            let (socket, dispatch, signed_in) =
                (socket.clone(), dispatch.clone(), signed_in.clone());
            spawn_local(async move {
                match sign_in(&socket, &nick).await {
                    Ok(()) => {
                        *signed_in.borrow_mut() = Some(nick.clone());
                        dispatch.dispatch(Action::Nick(nick));
                    }
                    Err(e) => dispatch.dispatch(Action::Failed(e)),
                }
            });
        })
    };

    let text_input = use_node_ref();
    let sent = use_mut_ref(|| 0u64);
    let on_send = {
        let (socket, dispatch, input) = (socket.clone(), chat.dispatcher(), text_input.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let text = input.value().trim().to_owned();
            if text.is_empty() {
                return;
            }
            input.set_value("");
            let n = {
                let mut sent = sent.borrow_mut();
                *sent += 1;
                *sent
            };
            dispatch.dispatch(Action::Sending(n, text.clone()));
            let (socket, dispatch) = (socket.clone(), dispatch.clone());
            spawn_local(async move {
                let outgoing = Outgoing {
                    room: LOBBY,
                    text: &text,
                };
                match request(&socket, "message", &outgoing).await {
                    Ok(()) => dispatch.dispatch(Action::Delivered(n)),
                    Err(e) => dispatch.dispatch(Action::Failed(e)),
                }
            });
        })
    };

    html! {
        <main>
            <header>
                <h1>{ "Sockeye chat " }<small>{ "in Yew" }</small></h1>
                <span class="connection" data-testid="connection-indicator" data-state={chat.connection}>
                    { chat.connection }
                </span>
            </header>
            <form class="nick" data-testid="nick-form" onsubmit={on_nick}>
                <input ref={nick_input} data-testid="nick-input" placeholder="Your nick" maxlength="24"
                    aria-label="Nick" />
                <button>{ if chat.nick.is_some() { "Rename" } else { "Join #lobby" } }</button>
            </form>
            if let Some(error) = &chat.error {
                <p class="error" role="alert" data-testid="error">{ error }</p>
            }
            <section class="people">
                <h2>{ "In #lobby" }</h2>
                <ul data-testid="presence-list">
                    { for chat.users.iter().map(|nick| html! {
                        <li data-testid="presence-item" data-nick={nick.clone()}>{ nick }</li>
                    }) }
                </ul>
            </section>
            <ol class="messages" data-testid="message-list" aria-live="polite">
                { for chat.lines.iter().map(|line| html! {
                    <li data-testid="message" class={classes!(line.mine.map(|_| "mine"))}
                        data-status={if line.delivered { "delivered" } else { "pending" }}>
                        <b>{ &line.nick }</b>{ " " }
                        <span data-testid="message-text">{ &line.text }</span>
                        if line.mine.is_some() && line.delivered { <span data-testid="delivered-tick" title="delivered">{ " ✓" }</span> }
                    </li>
                }) }
            </ol>
            <form class="composer" data-testid="composer" onsubmit={on_send}>
                <input ref={text_input} data-testid="message-input" placeholder="Message #lobby"
                    maxlength="2000" aria-label="Message" disabled={chat.nick.is_none()} />
                <button data-testid="send-button" disabled={chat.nick.is_none()}>{ "Send" }</button>
            </form>
        </main>
    }
}

/// Mounts the app on `<body>` once the module is instantiated.
#[wasm_bindgen(start)]
fn start() {
    yew::Renderer::<App>::new().render();
}
