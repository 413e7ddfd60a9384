//! What the application holds: socket ids, ack handles, and the emit builder.

use core::time::Duration;

use crate::socket::args::Args;

/// A namespace socket of one [`Manager`](super::Manager): one per namespace, as the reference's
/// `nsps` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub(super) usize);

/// The application's handle on one acknowledgement it waits for. Stable across the retries of a
/// queued packet, whose ack ids change; each handle is answered by exactly one
/// [`Event::Ack`](super::Event::Ack), unless its socket stays disconnected with the packet still
/// buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckHandle(pub(super) u64);

impl AckHandle {
    /// The handle as a number (unique per manager), for drivers keying their callbacks.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// One `socket.emit(...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emit {
    /// `["name", arg1, ...]` and the attachments its placeholders point at.
    pub args: Args,
    /// Ask the server for an acknowledgement; the answer is an [`Event::Ack`](super::Event::Ack).
    pub ack: bool,
    /// Fail the ack with [`AckError::Timeout`](super::AckError::Timeout) after this long
    /// (`socket.timeout(ms)`); overrides the socket's `ack_timeout`.
    pub timeout: Option<Duration>,
    /// Drop the packet rather than buffer it when the engine is not open (`socket.volatile`).
    pub volatile: bool,
}

impl Emit {
    /// An emit of `args` (event name first) with no ack.
    pub fn new(args: Args) -> Self {
        Emit {
            args,
            ack: false,
            timeout: None,
            volatile: false,
        }
    }

    /// Asks for an acknowledgement.
    pub fn with_ack(mut self) -> Self {
        self.ack = true;
        self
    }

    /// Asks for an acknowledgement within `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.ack = true;
        self.timeout = Some(timeout);
        self
    }

    /// Marks the emit volatile.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }
}
