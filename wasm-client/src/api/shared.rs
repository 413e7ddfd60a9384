//! The sharing primitives of the typed API, so that one source serves both drivers: in the
//! browser (one thread) handles are `Rc` and `RefCell`, with no `Send` bound on handlers; on
//! tokio (feature `native`) they are `Arc` and a mutex, and handlers must be `Send`, so that a
//! `Socket` can move into `tokio::spawn`.

/// Shared ownership: `Rc` in the browser, `Arc` natively.
#[cfg(not(feature = "native"))]
pub(crate) type Shared<T> = std::rc::Rc<T>;
/// Shared ownership: `Rc` in the browser, `Arc` natively.
#[cfg(feature = "native")]
pub(crate) type Shared<T> = std::sync::Arc<T>;

/// The weak twin of [`Shared`].
#[cfg(not(feature = "native"))]
pub(crate) type WeakShared<T> = std::rc::Weak<T>;
/// The weak twin of [`Shared`].
#[cfg(feature = "native")]
pub(crate) type WeakShared<T> = std::sync::Weak<T>;

/// Interior mutability: `RefCell` in the browser; natively a mutex with `RefCell`'s method names.
#[cfg(not(feature = "native"))]
pub(crate) type Lock<T> = std::cell::RefCell<T>;
#[cfg(feature = "native")]
pub(crate) use native::Lock;

/// A handler of one event name, as stored (`Send` natively).
#[cfg(not(feature = "native"))]
pub(crate) type HandlerFn = dyn FnMut(&super::Event);
/// A handler of one event name, as stored (`Send` natively).
#[cfg(feature = "native")]
pub(crate) type HandlerFn = dyn FnMut(&super::Event) + Send;

/// An auth closure, as stored: what it returns as JSON (`Send` natively).
#[cfg(not(feature = "native"))]
pub(crate) type AuthFnDyn = dyn FnMut() -> Result<serde_json::Value, serde_json::Error>;
/// An auth closure, as stored: what it returns as JSON (`Send` natively).
#[cfg(feature = "native")]
pub(crate) type AuthFnDyn = dyn FnMut() -> Result<serde_json::Value, serde_json::Error> + Send;

/// What a handler must be to be registered: anything in the browser, `Send` natively (handlers
/// run on whichever tokio worker delivers the event).
#[cfg(not(feature = "native"))]
pub trait MaybeSend {}
#[cfg(not(feature = "native"))]
impl<T: ?Sized> MaybeSend for T {}

/// What a handler must be to be registered: anything in the browser, `Send` natively (handlers
/// run on whichever tokio worker delivers the event).
#[cfg(feature = "native")]
pub trait MaybeSend: Send {}
#[cfg(feature = "native")]
impl<T: ?Sized + Send> MaybeSend for T {}

#[cfg(feature = "native")]
mod native {
    use std::sync::{Mutex, MutexGuard, TryLockError};

    /// A mutex with `RefCell`'s method names. A handler that panicked while holding it does not
    /// poison the connection: the state it guards is left consistent by every holder (short,
    /// non-panicking stretches), so the guard is taken back.
    #[derive(Default)]
    pub(crate) struct Lock<T: ?Sized>(Mutex<T>);

    impl<T> Lock<T> {
        /// Wraps `value`.
        pub(crate) fn new(value: T) -> Self {
            Lock(Mutex::new(value))
        }

        /// Replaces the value, returning the old one.
        pub(crate) fn replace(&self, value: T) -> T {
            std::mem::replace(&mut *self.borrow_mut(), value)
        }
    }

    impl<T: ?Sized> Lock<T> {
        /// Reads the value (locks: never hold it across a call that may lock it again).
        pub(crate) fn borrow(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// Changes the value.
        pub(crate) fn borrow_mut(&self) -> MutexGuard<'_, T> {
            self.borrow()
        }

        /// The value, unless someone holds it now.
        pub(crate) fn try_borrow_mut(&self) -> Result<MutexGuard<'_, T>, ()> {
            match self.0.try_lock() {
                Ok(guard) => Ok(guard),
                Err(TryLockError::Poisoned(e)) => Ok(e.into_inner()),
                Err(TryLockError::WouldBlock) => Err(()),
            }
        }

        /// The value, through exclusive access.
        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().unwrap_or_else(|e| e.into_inner())
        }
    }
}
