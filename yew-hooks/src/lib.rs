//! # sockeye-yew
//!
//! Yew hooks over [sockeye-client](sockeye_client)'s typed Rust API: a socket that lives as long
//! as its component, server events as state or as calls, an acknowledgement as state, and the
//! connection's state.
//!
//! | hook | what |
//! |---|---|
//! | [`use_socket`] | a socket connected on the first render, disconnected on unmount |
//! | [`use_event`] | the latest arguments of a server event, as `T` |
//! | [`use_on`] | calls a handler with each server event's arguments, as `T` |
//! | [`use_emit_with_ack`] | an emit whose acknowledgement, as `R`, becomes state |
//! | [`use_connection_state`] | connected, connecting or disconnected |
//!
//! Everything a hook registers (a listener, a stream read, an acknowledgement awaited) is removed
//! when its component unmounts, and no hook keeps a socket alive after that: a component mounted
//! and unmounted a thousand times leaves no timer, closure or connection behind (the crate's
//! tests count them).
//!
//! ```no_run
//! use serde::Deserialize;
//! use sockeye_client::{ConnectionState, Options};
//! use sockeye_yew::{use_connection_state, use_emit_with_ack, use_event, use_socket};
//! use yew::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Count {
//!     total: u32,
//! }
//!
//! #[function_component]
//! fn Counter() -> Html {
//!     let socket = use_socket("http://127.0.0.1:3000", Options::default());
//!     match &*socket {
//!         Ok(socket) => html! { <Clicks socket={socket.clone()} /> },
//!         Err(e) => html! { <p>{ e.to_string() }</p> },
//!     }
//! }
//!
//! #[derive(Properties, PartialEq)]
//! struct ClicksProps {
//!     socket: sockeye_client::Socket,
//! }
//!
//! #[function_component]
//! fn Clicks(props: &ClicksProps) -> Html {
//!     let state = use_connection_state(&props.socket);
//!     // The server's `count` events, and the acknowledgement of our `click`s.
//!     let count = use_event::<Count>(&props.socket, "count");
//!     let click = use_emit_with_ack::<Count>(&props.socket, "click");
//!     let onclick = {
//!         let click = click.clone();
//!         move |_| click.emit(&())
//!     };
//!     html! {
//!         <>
//!             <p>{ if state == ConnectionState::Connected { "online" } else { "offline" } }</p>
//!             <p>{ count.map(|c| c.total).unwrap_or_default() }</p>
//!             <button {onclick} disabled={click.pending()}>{ "click" }</button>
//!         </>
//!     }
//! }
//! ```

mod ack;
mod event;
mod socket;
mod state;
mod task;

pub use ack::{AckState, UseEmitWithAck, use_emit_with_ack};
pub use event::{use_event, use_on};
pub use socket::use_socket;
pub use state::use_connection_state;
