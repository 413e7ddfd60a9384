//! [`use_socket`]: a socket that lives as long as the component.

use std::rc::Rc;

use sockeye_client::{Error, Options, Socket};
use yew::prelude::*;

/// A socket on `url` (its path is the namespace, `/` when empty) with `options`, connected on the
/// component's first render and disconnected when it unmounts (or when `url` changes: the socket
/// for the new URL replaces it). `options` is read only when a socket is made.
///
/// The socket has a manager of its own, as `Socket::connect` gives; several components that
/// should share one connection take a `Socket` from a parent instead (a prop or a
/// `ContextProvider<Socket>`: sockets compare by identity).
///
/// `Err` when the URL or the options cannot be used; the hook does not retry.
#[hook]
pub fn use_socket(url: &str, options: Options) -> Rc<Result<Socket, Error>> {
    let socket = use_memo(url.to_owned(), move |url| Socket::connect(url, options));
    {
        let socket = Rc::clone(&socket);
        use_effect_with(url.to_owned(), move |_| {
            move || {
                // The reference's `socket.disconnect()`: its manager closes with its last socket,
                // so nothing of the connection outlives the component.
                if let Ok(socket) = &*socket {
                    socket.disconnect();
                }
            }
        });
    }
    socket
}
