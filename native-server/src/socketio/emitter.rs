//! What a socket emits: to its own client ([`SocketEmitter`], with flags), or to others through
//! a [`BroadcastOperator`].

use std::time::Duration;

use proto::socket::args::{de, ser::ToArgs};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::socketio::adapter::{BroadcastFlags, BroadcastOptions, BroadcastPacket};
use crate::socketio::cmd::{AckReply, AppCmd};
use crate::socketio::error::{AckError, EmitError};
use crate::socketio::event::check_event_name;
use crate::socketio::io::socket::SocketRef;
use crate::socketio::operators::{BroadcastOperator, IntoRooms};

impl SocketRef {
    /// Emits `event` to this client; `data` becomes its arguments (a tuple for several, `()` for
    /// none, anything else one; received [`Args`](proto::socket::Args) are forwarded as they
    /// are). Binary (`bytes::Bytes`) may appear anywhere.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emitter().emit(event, data)
    }

    /// Emits `event` and waits for the client's acknowledgement, read as `R` (a tuple takes one
    /// argument per element, anything else the first). Without a
    /// [`timeout`](SocketRef::timeout) it waits as long as the socket is connected.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: ToArgs + ?Sized,
        R: DeserializeOwned,
    {
        self.emitter().emit_with_ack(event, data).await
    }

    fn emitter(&self) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            timeout: None,
            volatile: false,
            compress: true,
        }
    }

    /// Emits with an acknowledgement deadline (`socket.timeout(ms)`).
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter {
        SocketEmitter {
            timeout: Some(timeout),
            ..self.emitter()
        }
    }

    /// Emits volatile events: dropped if the transport cannot send right now, never stored for
    /// recovery.
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter {
            volatile: true,
            ..self.emitter()
        }
    }

    /// The `compress` flag (`socket.compress(false)`; on by default): without it the event goes
    /// uncompressed whatever its size, on a WebSocket with `per_message_deflate` and in a
    /// polling response with only such packets (`http_compression`). Over polling this is what
    /// engine.io 6.6.13 does; its WebSocket transport calls `ws.send` without the flag, so there
    /// such a message is still compressed from the threshold up: Sockeye applies the flag as
    /// socket.io documents it.
    pub fn compress(&self, compress: bool) -> SocketEmitter {
        SocketEmitter {
            compress,
            ..self.emitter()
        }
    }

    // ---- broadcasting from this socket ----

    fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.namespace().clone()).except(self.id())
    }

    /// Broadcasts to `rooms`, leaving this socket out (`socket.to(room)`).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Same as [`SocketRef::to`] (`socket.in(room)`).
    pub fn in_(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Broadcasts to every socket but those in `rooms` and this one.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().except(rooms)
    }

    /// Broadcasts to every other socket of the namespace (`socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        self.operator()
    }

    /// Broadcasts to this node's other sockets only (`socket.local`).
    pub fn local(&self) -> BroadcastOperator {
        self.operator().local()
    }
}

/// Emits to one socket with flags (`socket.timeout(ms)`, `socket.volatile`,
/// `socket.compress(false)`).
#[derive(Clone, Debug)]
pub struct SocketEmitter {
    socket: SocketRef,
    timeout: Option<Duration>,
    volatile: bool,
    compress: bool,
}

impl SocketEmitter {
    /// Sets the acknowledgement deadline.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Makes the emit volatile.
    #[must_use]
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Sets the `compress` flag (see [`SocketRef::compress`]).
    #[must_use]
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Emits `event` with `data` as its arguments.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        check_event_name(event)?;
        let socket = &self.socket;
        if !socket.connected() {
            return Err(EmitError::Disconnected);
        }
        let packet = BroadcastPacket {
            nsp: socket.nsp_core().clone(),
            args: data.to_event_args(event)?,
        };
        let flags = BroadcastFlags {
            volatile: self.volatile,
            // Only when off: as the reference's flags, which lack it unless `compress()` set it.
            compress: (!self.compress).then_some(false),
            ..BroadcastFlags::default()
        };
        let ns = socket.namespace();
        if ns.recovery_enabled() && !self.volatile {
            // Through the adapter, as the reference does, so that the packet gets an offset and
            // is kept for a later recovery.
            ns.adapter().broadcast(
                packet,
                BroadcastOptions {
                    rooms: std::iter::once(socket.id().to_owned()).collect(),
                    except: Default::default(),
                    flags,
                },
            )
        } else {
            ns.deliver(&[socket.id().to_owned()], &packet, &flags, None)
        }
    }

    /// Emits `event` and waits for the acknowledgement, read as `R`.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: ToArgs + ?Sized,
        R: DeserializeOwned,
    {
        check_event_name(event)?;
        let socket = &self.socket;
        if !socket.connected() {
            return Err(AckError::Disconnected);
        }
        let args = data.to_event_args(event).map_err(EmitError::from)?;
        socket.notify_outgoing(&args);
        let (reply, answer) = oneshot::channel();
        if !socket.send_cmd(AppCmd::EmitWithAck {
            nsp: socket.nsp_core().clone(),
            args,
            timeout: self.timeout,
            compress: self.compress,
            reply: AckReply::One(reply),
        }) {
            return Err(AckError::Disconnected);
        }
        let args = answer.await.map_err(|_| AckError::Disconnected)??;
        de::from_args(&args).map_err(AckError::Deserialize)
    }
}
