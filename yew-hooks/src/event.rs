//! [`use_event`] and [`use_on`]: a server event's arguments in a component.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use sockeye_client::Socket;
use yew::prelude::*;

/// A handler given to [`use_on`], kept for the listener to call.
type Handler<T> = Rc<dyn Fn(T)>;

/// The arguments of the latest `event` the server emitted on `socket`, read as `T` by the
/// client's argument rule (a tuple takes several, `()` none, any other type the first); `None`
/// until the first. Each event re-renders the component. Events whose arguments do not read as
/// `T` are skipped.
///
/// Only the latest is kept: events that arrive together render once, with the last. To see
/// every event (a chat's messages), use [`use_on`] with a reducer.
#[hook]
pub fn use_event<T>(socket: &Socket, event: &str) -> Option<Rc<T>>
where
    T: DeserializeOwned + 'static,
{
    let latest = use_state(|| None::<Rc<T>>);
    {
        let latest = latest.setter();
        use_on(socket, event, move |value: T| {
            latest.set(Some(Rc::new(value)))
        });
    }
    (*latest).clone()
}

/// Calls `handler` with the arguments of each `event` the server emits on `socket`, read as `T`
/// (skipped when they do not read), from the first render until the component unmounts. The
/// handler given at the latest render is the one called, so it may capture the component's
/// current state; it does not re-register the listener.
#[hook]
pub fn use_on<T, F>(socket: &Socket, event: &str, handler: F)
where
    T: DeserializeOwned + 'static,
    F: Fn(T) + 'static,
{
    let current: Rc<RefCell<Option<Handler<T>>>> = use_mut_ref(|| None);
    *current.borrow_mut() = Some(Rc::new(handler));
    use_effect_with(
        (socket.clone(), event.to_owned()),
        move |(socket, event)| {
            // The listener holds the slot, never the component: the latest handler is looked up
            // at each event, and the listener goes with the component.
            let subscription = socket.on(event, move |value: T| {
                let handler = current.borrow().clone();
                if let Some(handler) = handler {
                    handler(value);
                }
            });
            // Dropping the subscription removes the listener.
            move || drop(subscription)
        },
    );
}
