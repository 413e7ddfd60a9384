//! [`use_emit_with_ack`]: an emit whose acknowledgement becomes component state.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use sockeye_client::{Error, IntoPayload, Socket};
use yew::prelude::*;

use crate::task::{self, Task};

/// Where the latest emit of a [`UseEmitWithAck`] stands.
#[derive(Debug)]
pub enum AckState<R> {
    /// Nothing emitted yet.
    Idle,
    /// Emitted; the acknowledgement has not come.
    Pending,
    /// The acknowledgement, read as `R`, or why there is none (a timeout, a payload that did not
    /// serialize, an acknowledgement that did not read as `R` ...).
    Done(Rc<Result<R, Error>>),
}

impl<R> Clone for AckState<R> {
    fn clone(&self) -> Self {
        match self {
            AckState::Idle => AckState::Idle,
            AckState::Pending => AckState::Pending,
            AckState::Done(result) => AckState::Done(Rc::clone(result)),
        }
    }
}

impl<R> PartialEq for AckState<R> {
    /// Done states are equal when they hold the same acknowledgement (by identity).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AckState::Idle, AckState::Idle) | (AckState::Pending, AckState::Pending) => true,
            (AckState::Done(a), AckState::Done(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The handle [`use_emit_with_ack`] returns: emit with it, read its state.
pub struct UseEmitWithAck<R: 'static> {
    socket: Socket,
    event: Rc<str>,
    state: UseStateHandle<AckState<R>>,
    task: Rc<RefCell<Option<Task>>>,
    _ack: PhantomData<R>,
}

impl<R: 'static> Clone for UseEmitWithAck<R> {
    fn clone(&self) -> Self {
        UseEmitWithAck {
            socket: self.socket.clone(),
            event: Rc::clone(&self.event),
            state: self.state.clone(),
            task: Rc::clone(&self.task),
            _ack: PhantomData,
        }
    }
}

impl<R: DeserializeOwned + 'static> UseEmitWithAck<R> {
    /// Emits the event with `payload`'s arguments (`&()` for none, a tuple for several) and
    /// waits for its acknowledgement (the socket's `ack_timeout`, if any, applies). An emit
    /// made while another waits replaces it: only the latest one's outcome is kept.
    pub fn emit(&self, payload: impl IntoPayload) {
        self.start(payload, None);
    }

    /// As [`UseEmitWithAck::emit`], failing with a timeout error after `timeout`.
    pub fn emit_with_timeout(&self, payload: impl IntoPayload, timeout: Duration) {
        self.start(payload, Some(timeout));
    }

    fn start(&self, payload: impl IntoPayload, timeout: Option<Duration>) {
        let ack = self
            .socket
            .emit_with_ack_args(&self.event, payload, timeout);
        self.state.set(AckState::Pending);
        let state = self.state.setter();
        let task = task::spawn(async move {
            let result = ack.await.and_then(|args| args.data::<R>());
            state.set(AckState::Done(Rc::new(result)));
        });
        // The previous emit's wait ends here: its outcome would be stale.
        self.task.borrow_mut().replace(task);
    }

    /// Where the latest emit stands.
    pub fn state(&self) -> &AckState<R> {
        &self.state
    }

    /// The latest acknowledgement, once it has come.
    pub fn data(&self) -> Option<&R> {
        match &*self.state {
            AckState::Done(result) => result.as_ref().as_ref().ok(),
            _ => None,
        }
    }

    /// Whether an emit waits for its acknowledgement.
    pub fn pending(&self) -> bool {
        matches!(*self.state, AckState::Pending)
    }
}

/// An emit of `event` on `socket` whose acknowledgement, read as `R`, becomes the component's
/// state: call [`UseEmitWithAck::emit`] (from a callback), then read
/// [`UseEmitWithAck::state`]. A wait still running when the component unmounts is dropped, so
/// that it keeps nothing alive.
#[hook]
pub fn use_emit_with_ack<R>(socket: &Socket, event: &str) -> UseEmitWithAck<R>
where
    R: DeserializeOwned + 'static,
{
    let state = use_state(|| AckState::Idle);
    let task: Rc<RefCell<Option<Task>>> = use_mut_ref(|| None);
    {
        let task = Rc::clone(&task);
        use_effect_with((), move |()| move || drop(task.borrow_mut().take()));
    }
    UseEmitWithAck {
        socket: socket.clone(),
        event: Rc::from(event),
        state,
        task,
        _ack: PhantomData,
    }
}
