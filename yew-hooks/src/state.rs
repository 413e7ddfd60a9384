//! [`use_connection_state`]: whether a socket is connected, as component state.

use sockeye_client::{ConnectionState, Socket, Stream};
use std::pin::Pin;
use yew::prelude::*;

use crate::task;

/// `socket`'s [`ConnectionState`], re-rendering the component when it changes (on connection,
/// disconnection and a refused connection).
#[hook]
pub fn use_connection_state(socket: &Socket) -> ConnectionState {
    let state = use_state_eq(|| socket.state());
    use_effect_with(socket.clone(), {
        let state = state.setter();
        move |socket: &Socket| {
            // Read again: the socket may have moved on between the render and this effect.
            state.set(socket.state());
            let mut events = socket.events();
            let socket = socket.clone();
            let task = task::spawn(async move {
                while std::future::poll_fn(|cx| Pin::new(&mut events).poll_next(cx))
                    .await
                    .is_some()
                {
                    state.set(socket.state());
                }
            });
            move || drop(task)
        }
    });
    *state
}
