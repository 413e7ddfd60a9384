//! One Socket.IO connection, as the [`App`] of its Engine.IO session's task: what it does with
//! the core's Socket.IO events and with the commands of sockets, broadcasts and connect
//! procedures ([`AppCmd`], sent through a [`CmdTx`]).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use proto::server::{Connection, Event as ConnEvent};
use proto::socket::Args;
use proto::socket::packet::Nsp;
use proto::socket::server::{AckHandle, Emit, Encoded, Event as SioEvent, Recovery, UsageError};

use tokio::sync::mpsc::error::SendError;

use super::adapter::Adapter;
use super::cmd::{AckReply, AppCmd, Cmd, CmdTx};
use super::error::{AckError, EmitError};
use super::handshake::Handshake;
use super::io::extract::ConnectParts;
use super::io::local::{AdapterFactory, LocalNamespace};
use super::io::socket::{SocketError, SocketInit, SocketRef};
use super::io::{IoInner, SocketIo, SocketIoConfig};
use super::memory_adapter::MemoryAdapter;
use super::value::Value;
use crate::engine::conn::Conn;
use crate::engine::inbox::{SessionTx, session_channel};
use crate::engine::runner::{App, Link, Prebuilt, run_inline, spawn_contained};
use crate::engine::{NewSession, SessionStarter, SessionTable, random_id};

/// A socket whose middlewares passed, to admit.
pub(crate) struct Accepted {
    pub(crate) socket: SocketRef,
    pub(crate) rooms: Vec<String>,
    pub(crate) missed: Vec<Args>,
    /// For a restored socket, the offset of the last packet it has or is given in `missed`.
    pub(crate) offset: Option<String>,
}

/// A Socket.IO server starts its connections as the sessions of its table.
impl SocketIo {
    /// A Socket.IO server whose sessions run on `table`; the table's new sessions start as its
    /// connections.
    pub(crate) fn new(table: Arc<SessionTable>, config: SocketIoConfig) -> SocketIo {
        let memory_adapter: AdapterFactory = Arc::new(|local: LocalNamespace| {
            Arc::new(MemoryAdapter::new(local)) as Arc<dyn Adapter>
        });
        let inner = IoInner::new(table.clone(), config, memory_adapter);
        table.set_starter(Arc::new(SioStarter {
            io: Arc::downgrade(&inner),
        }));
        let io = SocketIo(inner);
        // `/` always exists, as the reference's `io.sockets`.
        io.sockets();
        io
    }
}

pub(crate) struct SioStarter {
    pub(crate) io: Weak<IoInner>,
}

impl SessionStarter for SioStarter {
    fn start(&self, table: &Arc<SessionTable>, new: NewSession) -> Option<SessionTx> {
        let NewSession {
            sid,
            transport,
            req,
            ws,
        } = new;
        // `None` once every `SocketIo` handle was dropped: nothing can serve this session.
        let io = self.io.upgrade()?;
        let core = Connection::new(
            table.now(),
            sid.clone(),
            transport,
            table.config.clone(),
            io.socket_config,
        );
        let (tx, rx) = session_channel();
        let tx = CmdTx(tx);
        let conn = Conn::new(sid.as_str().to_owned(), tx.session(), req, transport);
        let app = SioApp {
            io,
            conn,
            tx: tx.clone(),
            sockets: HashMap::new(),
            acks: HashMap::new(),
        };
        Some(table.spawn(&sid, core, app, (&tx.0, rx), ws))
    }
}

struct SioApp {
    io: Arc<IoInner>,
    conn: Conn,
    tx: CmdTx,
    sockets: HashMap<Nsp, SocketRef>,
    acks: HashMap<AckHandle, AckReply>,
}

fn ack_error(e: proto::socket::server::AckError) -> AckError {
    match e {
        proto::socket::server::AckError::Timeout => AckError::Timeout,
        _ => AckError::Disconnected,
    }
}

impl SioApp {
    fn on_socket_event(&mut self, core: &mut Connection, link: &Link, ev: SioEvent) {
        match ev {
            SioEvent::Connect {
                nsp,
                auth,
                recovery,
            } => {
                // The middlewares run there: a panic in one closes the connection.
                spawn_contained(
                    connect(
                        self.io.clone(),
                        self.tx.clone(),
                        self.conn.clone(),
                        nsp,
                        auth,
                        recovery,
                    ),
                    Some(self.tx.clone()),
                );
            }
            SioEvent::Event { nsp, args, id } => {
                if let Some(socket) = self.sockets.get(&nsp) {
                    socket.dispatch(args, id);
                }
            }
            SioEvent::Ack { handle, result, .. } => {
                if let Some(reply) = self.acks.remove(&handle) {
                    reply.send(result.map_err(ack_error));
                }
            }
            SioEvent::Error { nsp, error } => {
                if let Some(socket) = self.sockets.get(&nsp) {
                    socket.emit_error(&SocketError::Parse(error.to_string()));
                }
            }
            SioEvent::Disconnect { nsp, reason } => {
                if let Some(socket) = self.sockets.remove(&nsp) {
                    socket.closed(reason, self.io.recovery.is_some());
                }
            }
            _ => {}
        }
        let _ = (core, link);
    }

    fn accept(&mut self, core: &mut Connection, link: &Link, accepted: Accepted) {
        let Accepted {
            socket,
            rooms,
            mut missed,
            offset,
        } = accepted;
        let nsp = socket.nsp_core().clone();
        if !core.socket().pending_connects().any(|p| *p == nsp) {
            // The connection closed meanwhile: out of the rooms its middlewares joined.
            socket.leave_all();
            return;
        }
        // A dynamic namespace's child is created now, for an admitted client only.
        let ns = self.io.admit(&socket);
        let mut all_rooms = vec![socket.id().to_owned()];
        all_rooms.extend(rooms.into_iter().filter(|r| r != socket.id()));
        match &offset {
            // What was broadcast to its rooms since `restore_session` read the store comes too.
            Some(offset) => {
                missed.extend(ns.adapter().join_restored(socket.id(), &all_rooms, offset))
            }
            None => ns.adapter().add_all(socket.id(), &all_rooms),
        }
        let pid = socket.pid().map(str::to_owned);
        if let Err(e) = core.accept(link.now, &nsp, socket.id().to_owned(), pid) {
            tracing::debug!("accept failed: {e}");
            ns.adapter().del_all(socket.id());
            ns.remove_socket(socket.id());
            return;
        }
        socket.set_connected(true);
        self.sockets.insert(nsp.clone(), socket.clone());
        for args in missed {
            match Encoded::event(core.socket().config().parser, &nsp, args, None) {
                Ok(encoded) => {
                    let _ = core.send_encoded(link.now, &encoded);
                }
                Err(e) => tracing::warn!("a missed packet could not be encoded: {e}"),
            }
        }
        let parts = ConnectParts { socket: &socket };
        for handler in ns.0.handlers.connection() {
            match handler.call(&parts) {
                Ok(Some(fut)) => run_inline(fut, &self.tx),
                Ok(None) => {}
                Err(rejection) => {
                    tracing::warn!(socket = %socket.id(), "a connection handler was not called: {rejection}");
                }
            }
        }
    }
}

impl App for SioApp {
    type Core = Connection;
    type Cmd = Cmd;

    fn on_start(&mut self, _core: &mut Connection, _link: &Link) {}

    fn drain_events(&mut self, core: &mut Connection, link: &Link) -> bool {
        let mut any = false;
        while let Some(ev) = core.poll_event() {
            any = true;
            match ev {
                ConnEvent::Socket(ev) => self.on_socket_event(core, link, ev),
                ConnEvent::Upgrade(t) => self.conn.upgraded(t),
                ConnEvent::Close(reason) => {
                    tracing::debug!(sid = %self.conn.id(), %reason, "connection closed");
                    // Acks still awaited (the core ended them already) must not keep waiting.
                    for (_, reply) in self.acks.drain() {
                        reply.send(Err(AckError::Disconnected));
                    }
                    self.conn.closed(&reason);
                }
                _ => {}
            }
        }
        any
    }

    fn prebuilt_frames<'c>(&self, core: &Connection, cmd: &'c Cmd) -> Option<Prebuilt<'c>> {
        match cmd {
            Cmd::SendEncoded { packet, volatile }
                if core.can_send_encoded_frames(&packet.encoded) =>
            {
                Some(Prebuilt {
                    frames: &packet.frames,
                    volatile: *volatile,
                    compress: packet.encoded.compress(),
                })
            }
            _ => None,
        }
    }

    fn on_cmd(&mut self, core: &mut Connection, link: &Link, cmd: Cmd) {
        let now = link.now;
        match cmd.unpack() {
            AppCmd::Accept(accepted) => match accepted.downcast::<Accepted>() {
                Ok(accepted) => self.accept(core, link, *accepted),
                Err(_) => unreachable!("only the connect procedure sends Accept, with an Accepted"),
            },
            AppCmd::Reject { nsp, message, data } => {
                let _ = core.reject(now, &nsp, &message, data);
            }
            AppCmd::SendEncoded { packet, volatile } => {
                if volatile && !link.writable(core) {
                    return;
                }
                let _ = core.send_encoded(now, &packet.encoded);
            }
            AppCmd::EmitWithAck {
                nsp,
                args,
                timeout,
                compress,
                reply,
            } => {
                let emit = Emit::new(args).with_ack(timeout).with_compress(compress);
                match core.emit(now, &nsp, emit) {
                    Ok(Some(handle)) => {
                        self.acks.insert(handle, reply);
                    }
                    Ok(None) => reply.send(Err(AckError::Disconnected)),
                    Err(UsageError::ReservedEventName) => reply.send(Err(AckError::Emit(
                        EmitError::ReservedEventName(String::new()),
                    ))),
                    Err(UsageError::Closed | UsageError::NotConnected(_)) => {
                        reply.send(Err(AckError::Disconnected))
                    }
                    Err(UsageError::TooManyPendingAcks(_)) => {
                        reply.send(Err(AckError::Emit(EmitError::TooManyPendingAcks)))
                    }
                    Err(e) => reply.send(Err(AckError::Emit(EmitError::Adapter(
                        super::error::AdapterError::Other(e.to_string()),
                    )))),
                }
            }
            AppCmd::Ack { nsp, id, args } => {
                let _ = core.ack(now, &nsp, id, args);
            }
            AppCmd::Disconnect { nsp } => {
                let _ = core.disconnect(now, &nsp);
            }
        }
    }

    fn on_end(&mut self) {
        for (_, reply) in self.acks.drain() {
            reply.send(Err(AckError::Disconnected));
        }
        // Sockets still here did not close the usual way (their disconnect was cut short by a
        // panic): out of their namespace and rooms all the same.
        for (_, socket) in self.sockets.drain() {
            socket.abandon();
        }
    }
}

/// A CONNECT: finds the namespace, restores a session, runs the middlewares, then admits or
/// refuses the socket through the session task.
async fn connect(
    io: Arc<IoInner>,
    tx: CmdTx,
    conn: Conn,
    nsp: Nsp,
    auth: Option<String>,
    recovery: Option<Recovery>,
) {
    let reject = |message: &str, data: Option<String>| {
        let _ = tx.send(AppCmd::Reject {
            nsp: nsp.clone(),
            message: message.to_owned(),
            data,
        });
    };
    // The core checked that the payload is a JSON object.
    let handshake = Handshake::new(conn.request(), auth.as_deref());
    let Some(ns) = io.lookup(&nsp, &handshake) else {
        reject("Invalid namespace", None);
        return;
    };
    let mut restored = None;
    if let (Some(_), Some(rec)) = (io.recovery, &recovery) {
        match ns.adapter().restore_session(&rec.pid, &rec.offset).await {
            Ok(r) => restored = r,
            Err(e) => tracing::debug!("session restore failed: {e}"),
        }
    }
    let (init, rooms, missed, offset) = match restored {
        Some(r) => {
            // Each stored packet ends with its offset.
            let offset = r
                .missed_packets
                .last()
                .and_then(Args::last_str)
                .map(|o| o.into_owned())
                .or(recovery.as_ref().map(|rec| rec.offset.clone()));
            (
                SocketInit {
                    id: r.session.sid,
                    pid: Some(r.session.pid),
                    recovered: true,
                    data: r.session.data,
                },
                r.session.rooms,
                r.missed_packets,
                offset,
            )
        }
        None => (
            SocketInit {
                id: random_id(),
                pid: io.recovery.map(|_| random_id()),
                recovered: false,
                data: Value::Null,
            },
            Vec::new(),
            Vec::new(),
            None,
        ),
    };
    let socket = SocketRef::new(ns.clone(), conn, tx.clone(), handshake, init);
    // Rooms a middleware joined are left if the socket is not handed to the session task:
    // refused, or a middleware panicked.
    let unadmitted = LeaveUnlessAdmitted(Some(socket));
    let Some(socket) = &unadmitted.0 else {
        return;
    };
    let skip = socket.recovered() && io.recovery.is_some_and(|r| r.skip_middlewares);
    if !skip {
        for middleware in ns.0.handlers.middlewares() {
            let result = middleware.call(&ConnectParts { socket }).await;
            if let Err(e) = result {
                let data = e.data.map(|d| d.to_string());
                reject(&e.message, data);
                return;
            }
        }
    }
    let Some(socket) = unadmitted.admit() else {
        return;
    };
    let sent = tx.send(AppCmd::Accept(Box::new(Accepted {
        socket,
        rooms,
        missed,
        offset,
    })));
    // The session task is gone: nobody will admit the socket.
    if let Err(SendError(AppCmd::Accept(accepted))) = sent
        && let Ok(accepted) = accepted.downcast::<Accepted>()
    {
        accepted.socket.leave_all();
    }
}

/// A socket whose middlewares run: dropped before [`LeaveUnlessAdmitted::admit`], it leaves the
/// rooms they joined.
struct LeaveUnlessAdmitted(Option<SocketRef>);

impl LeaveUnlessAdmitted {
    fn admit(mut self) -> Option<SocketRef> {
        self.0.take()
    }
}

impl Drop for LeaveUnlessAdmitted {
    fn drop(&mut self) {
        if let Some(socket) = self.0.take() {
            socket.leave_all();
        }
    }
}
