//! The emitter: publishes to a cluster of servers that use the pub/sub adapter, without being a
//! server (`@socket.io/redis-emitter` 5.1, same bytes).

use std::collections::BTreeSet;
use std::time::Duration;

use sockeye_server::adapter::BroadcastFlags;
use sockeye_server::{AdapterError, Args, EmitError, IntoRooms, ToArgs, Value};

use crate::error::RedisAdapterError;
use crate::link::Link;
use crate::msgpack;
use crate::wire::{self, num, obj};

/// The `uid` the Node emitter signs its messages with.
const EMITTER_UID: &str = "emitter";

/// The event names an emitter refuses, as the Node emitter's `RESERVED_EVENTS`.
const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Publishes events and commands to every server of a cluster through Redis, like the Node
/// `Emitter`. Cheap to clone; clones (and [`Emitter::of`]) share one Redis connection, which
/// reconnects with backoff and keeps what was emitted while Redis was away.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let emitter = sockeye_redis::Emitter::new("redis://127.0.0.1:6379")?;
/// emitter.to("room1").emit("news", &("hello", 1))?;
/// emitter.of("/admin").to("room1").sockets_join("vip")?;
/// emitter.flush(std::time::Duration::from_secs(5)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Emitter {
    link: Link,
    key: String,
    nsp: String,
}

impl Emitter {
    /// An emitter to the servers sharing the Redis server at `url`, on namespace `/` with the
    /// key `socket.io`. Call inside the tokio runtime (it starts the connection task).
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        let client = crate::link::client(url)?;
        Ok(Emitter {
            link: Link::spawn(client, Vec::new(), None),
            key: "socket.io".to_owned(),
            nsp: "/".to_owned(),
        })
    }

    /// The channels' prefix (`key`, `socket.io`), as the servers' adapters have it.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// The same emitter on another namespace (a leading `/` is added when missing).
    pub fn of(&self, nsp: &str) -> Emitter {
        let nsp = if nsp.starts_with('/') {
            nsp.to_owned()
        } else {
            format!("/{nsp}")
        };
        Emitter {
            link: self.link.clone(),
            key: self.key.clone(),
            nsp,
        }
    }

    fn op(&self) -> EmitterOperator {
        EmitterOperator {
            emitter: self.clone(),
            rooms: BTreeSet::new(),
            except: BTreeSet::new(),
            flags: BroadcastFlags::default(),
        }
    }

    /// Targets rooms.
    pub fn to(&self, rooms: impl IntoRooms) -> EmitterOperator {
        self.op().to(rooms)
    }

    /// Same as [`Emitter::to`].
    pub fn in_(&self, rooms: impl IntoRooms) -> EmitterOperator {
        self.op().to(rooms)
    }

    /// Every socket but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> EmitterOperator {
        self.op().except(rooms)
    }

    /// A volatile broadcast.
    pub fn volatile(&self) -> EmitterOperator {
        self.op().volatile()
    }

    /// The `compress` flag.
    pub fn compress(&self, compress: bool) -> EmitterOperator {
        self.op().compress(compress)
    }

    /// Emits to every socket of the namespace; `data` as [`EmitterOperator::emit`] takes it.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.op().emit(event, data)
    }

    /// Makes every socket join `rooms`.
    pub fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        self.op().sockets_join(rooms)
    }

    /// Makes every socket leave `rooms`.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        self.op().sockets_leave(rooms)
    }

    /// Disconnects every socket; with `close`, their connections.
    pub fn disconnect_sockets(&self, close: bool) -> Result<(), EmitError> {
        self.op().disconnect_sockets(close)
    }

    /// Emits `event` to the servers themselves (their `on_server_side` handlers); without
    /// acknowledgements, as the Node emitter. `data` as [`EmitterOperator::emit`] takes it.
    pub fn server_side_emit<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let (channel, payload) = self.server_side_message(event, data)?;
        self.link.publish(channel, payload, false);
        Ok(())
    }

    fn server_side_message<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(String, Vec<u8>), EmitError> {
        let args = event_args(event, data)?;
        let items = wire::values(&args).map_err(|e| wire::emit_error(&e))?;
        let body = obj([
            ("uid", Value::String(EMITTER_UID.to_owned())),
            ("type", num(6)),
            ("data", Value::Array(items)),
        ]);
        Ok((self.request_channel(), wire::json(&body)))
    }

    /// Resolves once everything emitted so far reached Redis, or fails after `timeout`.
    pub async fn flush(&self, timeout: Duration) -> Result<(), AdapterError> {
        self.link
            .query(redis::cmd("PING"), timeout)
            .await
            .map(|_| ())
    }

    fn request_channel(&self) -> String {
        format!("{}-request#{}#", self.key, self.nsp)
    }
}

/// An event's name and arguments, refusing reserved names.
fn event_args<T: ToArgs + ?Sized>(event: &str, data: &T) -> Result<Args, EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedEventName(event.to_owned()));
    }
    Ok(data.to_event_args(event)?)
}

/// Rooms and flags chosen on an [`Emitter`], then an emit or a command.
#[derive(Clone, Debug)]
pub struct EmitterOperator {
    emitter: Emitter,
    rooms: BTreeSet<String>,
    except: BTreeSet<String>,
    flags: BroadcastFlags,
}

impl EmitterOperator {
    /// Targets rooms.
    #[must_use]
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`EmitterOperator::to`].
    #[must_use]
    pub fn in_(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Leaves out the sockets in these rooms.
    #[must_use]
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.except.extend(rooms.into_rooms());
        self
    }

    /// Dropped for sockets that cannot take it right now.
    #[must_use]
    pub fn volatile(mut self) -> Self {
        self.flags.volatile = true;
        self
    }

    /// The `compress` flag.
    #[must_use]
    pub fn compress(mut self, compress: bool) -> Self {
        self.flags.compress = Some(compress);
        self
    }

    /// Emits `event` with `data` to the selected sockets. `data` is any `Serialize` (a tuple is
    /// several arguments, `()` none, anything else one; `bytes::Bytes` anywhere is binary), or
    /// [`Args`](sockeye_server::Args) as they are, as the server's emits take it.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        let (channel, payload) = self.emit_message(event, data)?;
        self.emitter.link.publish(channel, payload, false);
        Ok(())
    }

    fn emit_message<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(String, Vec<u8>), EmitError> {
        let args = event_args(event, data)?;
        // The Node emitter's order: `{rooms, flags, except}`.
        let opts = obj([
            ("rooms", wire::strings(&self.rooms)),
            ("flags", wire::encode_flags(&self.flags)),
            ("except", wire::strings(&self.except)),
        ]);
        let msg = Value::Array(vec![
            Value::String(EMITTER_UID.to_owned()),
            wire::event_packet(&self.emitter.nsp, &args).map_err(|e| wire::emit_error(&e))?,
            opts,
        ]);
        let mut channel = format!("{}#{}#", self.emitter.key, self.emitter.nsp);
        if self.rooms.len() == 1
            && let Some(room) = self.rooms.iter().next()
        {
            channel.push_str(room);
            channel.push('#');
        }
        Ok((channel, msgpack::encode(&msg)))
    }

    fn command(&self, kind: u64, extra: (&str, Value)) -> Result<(), EmitError> {
        let (channel, payload) = self.command_message(kind, extra);
        self.emitter.link.publish(channel, payload, false);
        Ok(())
    }

    fn command_message(&self, kind: u64, extra: (&str, Value)) -> (String, Vec<u8>) {
        let body = obj([
            ("type", num(kind)),
            (
                "opts",
                obj([
                    ("rooms", wire::strings(&self.rooms)),
                    ("except", wire::strings(&self.except)),
                ]),
            ),
            extra,
        ]);
        (self.emitter.request_channel(), wire::json(&body))
    }

    /// Makes the selected sockets join `rooms`.
    pub fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        let rooms = rooms.into_rooms();
        self.command(2, ("rooms", wire::strings(&rooms)))
    }

    /// Makes the selected sockets leave `rooms`.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        let rooms = rooms.into_rooms();
        self.command(3, ("rooms", wire::strings(&rooms)))
    }

    /// Disconnects the selected sockets; with `close`, their connections.
    pub fn disconnect_sockets(&self, close: bool) -> Result<(), EmitError> {
        self.command(4, ("close", Value::Bool(close)))
    }
}

#[cfg(test)]
#[path = "emitter_tests.rs"]
mod tests;
