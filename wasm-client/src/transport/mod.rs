//! The transports the core asks for: one WebSocket per Engine.IO session (its own or a probe) and
//! long-polling HTTP requests.

pub(crate) mod polling;
pub(crate) mod ws;
