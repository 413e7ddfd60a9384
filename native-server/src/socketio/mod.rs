//! The Socket.IO layer: namespaces with their sockets ([`io`], [`io::socket`]), what handlers
//! take and return ([`handler`], [`extract`], [`event`]), emitting ([`emitter`]), broadcasting ([`operators`]), the
//! [`Adapter`](adapter::Adapter) trait with the in-memory adapter, the handshake, the payload's
//! [`Value`](value::Value) and the errors. Each connection is an application of the Engine.IO
//! layer's session task ([`connection`]): the engine calls it through the `App` trait and never
//! names a type of this layer.

pub(crate) mod adapter;
pub(crate) mod cmd;
pub(crate) mod config;
pub(crate) mod connection;
pub mod emitter;
pub mod error;
pub mod event;
pub mod handshake;
pub(crate) mod id_hash;
pub mod io;
pub use io::{extract, handler};
pub(crate) mod log_budget;
pub(crate) mod memory_adapter;
pub mod operators;
pub mod typed;
pub mod value;
