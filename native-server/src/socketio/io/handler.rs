//! The shapes a handler may take: a function or closure of up to eight
//! [extractors](crate::extract), in any order, plain or `async`.
//!
//! ```no_run
//! # use sockeye_server::{SocketIo, SocketRef, DisconnectReason};
//! # use sockeye_server::extract::{AckSender, Data};
//! # fn run(io: SocketIo) {
//! io.ns("/", |socket: SocketRef| {
//!     // Plain: runs on the connection's task, in the order events arrive.
//!     socket.on("ping", |ack: AckSender| {
//!         let _ = ack.send(&"pong");
//!     });
//!     // async: starts in order too, and may await.
//!     socket.on("slow", |Data(ms): Data<u64>, ack: AckSender| async move {
//!         tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
//!         let _ = ack.send(&());
//!     });
//!     socket.on_disconnect(|socket: SocketRef, reason: DisconnectReason| {
//!         tracing::info!("{} left: {reason}", socket.id());
//!     });
//! });
//! # }
//! ```
//!
//! The traits here are implemented for every such function; an application names them only in
//! bounds.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::engine::BoxFuture;
use crate::socketio::error::ConnectError;
use crate::socketio::io::extract::{
    ConnectParts, DisconnectParts, EventParts, FromConnectParts, FromDisconnectParts,
    FromEventParts, Rejection,
};

/// Markers that keep a plain function's implementations apart from an `async` one's.
#[doc(hidden)]
pub mod marker {
    /// The function returns its result.
    #[derive(Debug)]
    pub struct Plain;
    /// The function returns a future of its result.
    #[derive(Debug)]
    pub struct Async;
}

/// What a handler call gives back: nothing more to do, or a future to run.
pub(crate) type Started = Result<Option<BoxFuture<'static, ()>>, Rejection>;

/// An event handler (`socket.on(event, handler)`).
pub trait EventHandler<M>: Send + Sync + 'static {
    /// Extracts the parameters, then calls the function.
    #[doc(hidden)]
    fn call(&self, parts: &EventParts<'_>) -> Started;
}

/// A connection handler (`io.ns(name, handler)`, `namespace.on_connection(handler)`).
pub trait ConnectHandler<M>: Send + Sync + 'static {
    /// Extracts the parameters, then calls the function.
    #[doc(hidden)]
    fn call(&self, parts: &ConnectParts<'_>) -> Started;
}

/// A disconnect handler (`socket.on_disconnect(handler)`, `on_disconnecting`).
pub trait DisconnectHandler<M>: Send + Sync + 'static {
    /// Extracts the parameters, then calls the function.
    #[doc(hidden)]
    fn call(&self, parts: &DisconnectParts<'_>) -> Started;
}

/// A namespace middleware (`namespace.use_middleware(..)`): it returns `Result<(), ConnectError>`
/// (or a future of one); `Ok(())` admits the socket, an error refuses it with CONNECT_ERROR
/// (`Err("message".into())` for a bare message).
pub trait ConnectMiddleware<M>: Send + Sync + 'static {
    /// Extracts the parameters, then calls the function.
    #[doc(hidden)]
    fn call(&self, parts: &ConnectParts<'_>) -> BoxFuture<'static, Result<(), ConnectError>>;
}

macro_rules! handlers {
    ($($t:ident),*) => {
        impl<F, $($t,)*> EventHandler<(marker::Plain, $($t,)*)> for F
        where
            F: Fn($($t),*) + Send + Sync + 'static,
            $($t: FromEventParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &EventParts<'_>) -> Started {
                $(let $t = $t::from_event_parts(parts)?;)*
                self($($t),*);
                Ok(None)
            }
        }

        impl<F, Fut, $($t,)*> EventHandler<(marker::Async, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($t: FromEventParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &EventParts<'_>) -> Started {
                $(let $t = $t::from_event_parts(parts)?;)*
                Ok(Some(Box::pin(self($($t),*))))
            }
        }

        impl<F, $($t,)*> ConnectHandler<(marker::Plain, $($t,)*)> for F
        where
            F: Fn($($t),*) + Send + Sync + 'static,
            $($t: FromConnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &ConnectParts<'_>) -> Started {
                $(let $t = $t::from_connect_parts(parts)?;)*
                self($($t),*);
                Ok(None)
            }
        }

        impl<F, Fut, $($t,)*> ConnectHandler<(marker::Async, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($t: FromConnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &ConnectParts<'_>) -> Started {
                $(let $t = $t::from_connect_parts(parts)?;)*
                Ok(Some(Box::pin(self($($t),*))))
            }
        }

        impl<F, $($t,)*> DisconnectHandler<(marker::Plain, $($t,)*)> for F
        where
            F: Fn($($t),*) + Send + Sync + 'static,
            $($t: FromDisconnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &DisconnectParts<'_>) -> Started {
                $(let $t = $t::from_disconnect_parts(parts)?;)*
                self($($t),*);
                Ok(None)
            }
        }

        impl<F, Fut, $($t,)*> DisconnectHandler<(marker::Async, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($t: FromDisconnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &DisconnectParts<'_>) -> Started {
                $(let $t = $t::from_disconnect_parts(parts)?;)*
                Ok(Some(Box::pin(self($($t),*))))
            }
        }

        impl<F, $($t,)*> ConnectMiddleware<(marker::Plain, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Result<(), ConnectError> + Send + Sync + 'static,
            $($t: FromConnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &ConnectParts<'_>) -> BoxFuture<'static, Result<(), ConnectError>> {
                $(
                    let $t = match $t::from_connect_parts(parts) {
                        Ok(v) => v,
                        Err(e) => return Box::pin(std::future::ready(Err(rejected(e)))),
                    };
                )*
                Box::pin(std::future::ready(self($($t),*)))
            }
        }

        impl<F, Fut, $($t,)*> ConnectMiddleware<(marker::Async, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
            $($t: FromConnectParts,)*
        {
            #[allow(non_snake_case, unused_variables, reason = "one binding per extractor")]
            fn call(&self, parts: &ConnectParts<'_>) -> BoxFuture<'static, Result<(), ConnectError>> {
                $(
                    let $t = match $t::from_connect_parts(parts) {
                        Ok(v) => v,
                        Err(e) => return Box::pin(std::future::ready(Err(rejected(e)))),
                    };
                )*
                Box::pin(self($($t),*))
            }
        }
    };
}

handlers!();
handlers!(T1);
handlers!(T1, T2);
handlers!(T1, T2, T3);
handlers!(T1, T2, T3, T4);
handlers!(T1, T2, T3, T4, T5);
handlers!(T1, T2, T3, T4, T5, T6);
handlers!(T1, T2, T3, T4, T5, T6, T7);
handlers!(T1, T2, T3, T4, T5, T6, T7, T8);

/// A middleware's extractor that failed refuses the socket, as the reference refuses it when a
/// middleware throws.
fn rejected(e: Rejection) -> ConnectError {
    tracing::warn!("a namespace middleware was not called: {e}");
    ConnectError::new(e.to_string())
}

// ---- stored handlers: the trait objects behind the generic registration methods ----

struct Erased<H, M>(H, PhantomData<fn() -> M>);

pub(crate) trait DynEventHandler: Send + Sync {
    fn call(&self, parts: &EventParts<'_>) -> Started;
}

impl<H: EventHandler<M>, M: 'static> DynEventHandler for Erased<H, M> {
    fn call(&self, parts: &EventParts<'_>) -> Started {
        self.0.call(parts)
    }
}

pub(crate) trait DynConnectHandler: Send + Sync {
    fn call(&self, parts: &ConnectParts<'_>) -> Started;
}

impl<H: ConnectHandler<M>, M: 'static> DynConnectHandler for Erased<H, M> {
    fn call(&self, parts: &ConnectParts<'_>) -> Started {
        self.0.call(parts)
    }
}

pub(crate) trait DynDisconnectHandler: Send + Sync {
    fn call(&self, parts: &DisconnectParts<'_>) -> Started;
}

impl<H: DisconnectHandler<M>, M: 'static> DynDisconnectHandler for Erased<H, M> {
    fn call(&self, parts: &DisconnectParts<'_>) -> Started {
        self.0.call(parts)
    }
}

pub(crate) trait DynConnectMiddleware: Send + Sync {
    fn call(&self, parts: &ConnectParts<'_>) -> BoxFuture<'static, Result<(), ConnectError>>;
}

impl<H: ConnectMiddleware<M>, M: 'static> DynConnectMiddleware for Erased<H, M> {
    fn call(&self, parts: &ConnectParts<'_>) -> BoxFuture<'static, Result<(), ConnectError>> {
        self.0.call(parts)
    }
}

pub(crate) type BoxedEventHandler = Arc<dyn DynEventHandler>;
pub(crate) type BoxedConnectHandler = Arc<dyn DynConnectHandler>;
pub(crate) type BoxedDisconnectHandler = Arc<dyn DynDisconnectHandler>;
pub(crate) type BoxedConnectMiddleware = Arc<dyn DynConnectMiddleware>;

pub(crate) fn event_handler<H: EventHandler<M>, M: 'static>(h: H) -> BoxedEventHandler {
    Arc::new(Erased(h, PhantomData))
}

pub(crate) fn connect_handler<H: ConnectHandler<M>, M: 'static>(h: H) -> BoxedConnectHandler {
    Arc::new(Erased(h, PhantomData))
}

pub(crate) fn disconnect_handler<H: DisconnectHandler<M>, M: 'static>(
    h: H,
) -> BoxedDisconnectHandler {
    Arc::new(Erased(h, PhantomData))
}

pub(crate) fn connect_middleware<H: ConnectMiddleware<M>, M: 'static>(
    h: H,
) -> BoxedConnectMiddleware {
    Arc::new(Erased(h, PhantomData))
}
