//! A task that a component's clean-up can end: hooks spawn their futures through [`spawn`], and
//! the effect's clean-up drops the [`Task`], so that nothing a component started (a stream read, an
//! acknowledgement awaited) outlives it or keeps its socket alive.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Flag {
    cancelled: bool,
    waker: Option<Waker>,
}

/// A running future, cancelled when this handle is dropped.
pub(crate) struct Task(Rc<RefCell<Flag>>);

impl Drop for Task {
    fn drop(&mut self) {
        let mut flag = self.0.borrow_mut();
        flag.cancelled = true;
        if let Some(waker) = flag.waker.take() {
            waker.wake();
        }
    }
}

/// The future, polled until it ends or its [`Task`] is dropped, whichever comes first; dropped
/// (with everything it holds) then.
struct UntilCancelled {
    flag: Rc<RefCell<Flag>>,
    future: Pin<Box<dyn Future<Output = ()>>>,
}

impl Future for UntilCancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut flag = self.flag.borrow_mut();
            if flag.cancelled {
                return Poll::Ready(());
            }
            flag.waker = Some(cx.waker().clone());
        }
        self.future.as_mut().poll(cx)
    }
}

/// Runs `future` on the page's event loop until it ends or the returned [`Task`] is dropped.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) -> Task {
    let flag = Rc::new(RefCell::new(Flag::default()));
    yew::platform::spawn_local(UntilCancelled {
        flag: Rc::clone(&flag),
        future: Box::pin(future),
    });
    Task(flag)
}
