//! Dynamic namespaces (the reference's `ParentNamespace`): names matched by a regex or a
//! predicate get a child namespace that shares the parent's handlers and middlewares.
//!
//! A child is created only for a client its middlewares admit: they run on a stand-in first, so
//! that refused clients (with a matcher such as `^/dyn-\d+$`, as many names as they like) leave
//! no namespace and no adapter behind (an adapter may hold broker connections). With
//! `cleanup_empty_child_namespaces`, a child is removed again once its last socket has left.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use proto::socket::args::ser::ToArgs;
use proto::socket::packet::Nsp;

use super::{IoInner, Namespace, NsHandlers};
use crate::socketio::error::EmitError;
use crate::socketio::handshake::Handshake;
use crate::socketio::io::handler::{self, ConnectHandler, ConnectMiddleware};
use crate::socketio::io::socket::SocketRef;
use crate::socketio::value::Value;

/// A dynamic namespace's predicate: the name and the CONNECT's auth.
pub type NsPredicate = Arc<dyn Fn(&str, &Value) -> bool + Send + Sync>;

/// How a dynamic namespace matches names.
#[derive(Clone)]
pub enum NsMatcher {
    /// Names matching the regex (`io.of(/^\/dynamic-\d+$/)`).
    Regex(regex::Regex),
    /// Names the predicate accepts, given the name and the CONNECT's auth
    /// (`io.of((name, auth, next) => ..)`).
    Predicate(NsPredicate),
}

impl std::fmt::Debug for NsMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NsMatcher::Regex(r) => f.debug_tuple("Regex").field(&r.as_str()).finish(),
            NsMatcher::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

impl From<regex::Regex> for NsMatcher {
    fn from(r: regex::Regex) -> Self {
        NsMatcher::Regex(r)
    }
}

impl NsMatcher {
    /// A predicate matcher.
    pub fn predicate<F: Fn(&str, &Value) -> bool + Send + Sync + 'static>(f: F) -> Self {
        NsMatcher::Predicate(Arc::new(f))
    }

    fn matches(&self, name: &str, handshake: &Handshake) -> bool {
        match self {
            NsMatcher::Regex(r) => r.is_match(name),
            // The auth object as a tree only for a predicate that reads it.
            NsMatcher::Predicate(p) => p(name, &handshake.auth_value()),
        }
    }
}

struct ParentInner {
    matcher: NsMatcher,
    handlers: Arc<NsHandlers>,
    /// By name; as the server's namespaces, of which they are a part.
    children: RwLock<HashMap<String, Namespace>>,
}

/// What a dynamic namespace's child knows of where it belongs.
#[derive(Clone)]
pub(crate) struct Child {
    parent: Weak<ParentInner>,
    io: Weak<IoInner>,
    /// The builder's `cleanup_empty_child_namespaces`.
    cleanup: bool,
}

impl Child {
    /// Removes `ns`, whose last socket has just left, from the server and its parent, and
    /// closes its adapter, when cleanup is on and no socket came meanwhile (the reference's
    /// `cleanupEmptyChildNamespaces`). A socket being admitted is added under the server's
    /// namespace lock ([`IoInner::admit`]), so the check made under it holds.
    pub(crate) fn emptied(&self, ns: &Namespace) {
        let Some(io) = self.io.upgrade().filter(|_| self.cleanup) else {
            return;
        };
        {
            let mut nsps = io.nsps.write().unwrap_or_else(|e| e.into_inner());
            let empty =
                ns.0.sockets
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_empty();
            // A stand-in, or a child removed already, is not the registered one.
            if !empty || !nsps.get(ns.name()).is_some_and(|live| live.same(ns)) {
                return;
            }
            nsps.remove(ns.name());
            if let Some(parent) = self.parent.upgrade() {
                parent
                    .children
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(ns.name());
            }
        }
        tracing::debug!("empty child namespace {} removed", ns.name());
        let adapter = ns.adapter().clone();
        let close = async move {
            if let Err(e) = adapter.close().await {
                tracing::warn!("adapter close failed: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(close);
            }
            Err(_) => tracing::debug!("no runtime: adapter close skipped for {}", ns.name()),
        }
    }
}

/// A dynamic namespace (the reference's `ParentNamespace`): its handlers and middlewares apply to
/// every child namespace created for a matching name.
#[derive(Clone)]
pub struct ParentNamespace(Arc<ParentInner>);

impl std::fmt::Debug for ParentNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParentNamespace")
            .field("matcher", &self.0.matcher)
            .finish_non_exhaustive()
    }
}

impl ParentNamespace {
    pub(super) fn new(matcher: NsMatcher) -> Self {
        ParentNamespace(Arc::new(ParentInner {
            matcher,
            handlers: Arc::new(NsHandlers::default()),
            children: RwLock::new(HashMap::new()),
        }))
    }

    /// Calls `handler` for each socket connecting to any child (as
    /// [`Namespace::on_connection`]).
    pub fn on_connection<H: ConnectHandler<M>, M: 'static>(&self, handler: H) {
        self.0
            .handlers
            .add_connection(handler::connect_handler(handler));
    }

    /// Adds a middleware for every child (as [`Namespace::use_middleware`]). The child is
    /// created once a client passes them, not before: until then its socket's
    /// [`namespace`](SocketRef::namespace) is a stand-in with the child's name and a local
    /// in-memory adapter, and the rooms the middlewares join there go with the socket to the
    /// child; a refused client leaves nothing behind.
    pub fn use_middleware<H: ConnectMiddleware<M>, M: 'static>(&self, middleware: H) {
        self.0
            .handlers
            .add_middleware(handler::connect_middleware(middleware));
    }

    /// The child namespaces there are now: one for each name a client was admitted to (and,
    /// with `cleanup_empty_child_namespaces`, that still has a socket).
    pub fn children(&self) -> Vec<Namespace> {
        self.0
            .children
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Emits to every socket of every child.
    pub fn emit<T: ToArgs + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        for ns in self.children() {
            ns.emit(event, data)?;
        }
        Ok(())
    }
}

impl Namespace {
    /// The stand-in a client's middlewares run on while the child of `parent` it asked for does
    /// not exist: named as the child, with the parent's handlers and a local in-memory adapter
    /// (no broker, no recovery, nothing started), registered nowhere, and dropped with the
    /// client if it is refused. [`IoInner::admit`] makes the child.
    fn stand_in(io: &Arc<IoInner>, name: Nsp, parent: &ParentNamespace) -> Namespace {
        let child = Child {
            parent: Arc::downgrade(&parent.0),
            io: Arc::downgrade(io),
            cleanup: io.cleanup_empty_child_namespaces,
        };
        let memory_adapter = io.memory_adapter.clone();
        Namespace::with_adapter(io, name, parent.0.handlers.clone(), Some(child), |local| {
            memory_adapter(local.without_recovery())
        })
    }
}

impl IoInner {
    /// The namespace for a CONNECT's middlewares: an existing one, or a stand-in for the child
    /// of a matching dynamic namespace (created by [`IoInner::admit`] only if the client is
    /// admitted, so that refused clients leave nothing behind); `None` for an unknown name
    /// ("Invalid namespace").
    pub(crate) fn lookup(self: &Arc<Self>, name: &Nsp, handshake: &Handshake) -> Option<Namespace> {
        if let Some(ns) = self
            .nsps
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name.as_str())
        {
            return Some(ns.clone());
        }
        let parents = self
            .parents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        parents
            .iter()
            .find(|parent| parent.0.matcher.matches(name.as_str(), handshake))
            .map(|parent| Namespace::stand_in(self, name.clone(), parent))
    }

    /// Adds an admitted socket to its namespace and returns that namespace. A dynamic
    /// namespace's child is created here if it does not exist (its middlewares ran on a
    /// stand-in, or on a child removed since as empty); the socket then moves there with the
    /// rooms its middlewares joined. Done under the namespace table's lock, which the removal of
    /// an empty child takes too: a child is never removed with a socket being added.
    pub(crate) fn admit(self: &Arc<Self>, socket: &SocketRef) -> Namespace {
        let asked = socket.namespace().clone();
        let Some(child) = &asked.0.child else {
            asked.insert_socket(socket.clone());
            return asked;
        };
        {
            let nsps = self.nsps.read().unwrap_or_else(|e| e.into_inner());
            if nsps.get(asked.name()).is_some_and(|live| live.same(&asked)) {
                asked.insert_socket(socket.clone());
                return asked;
            }
        }
        let live = {
            let mut nsps = self.nsps.write().unwrap_or_else(|e| e.into_inner());
            let live = match nsps.get(asked.name()) {
                Some(live) => live.clone(),
                None => {
                    let ns = Namespace::new(
                        self,
                        asked.nsp().clone(),
                        asked.0.handlers.clone(),
                        Some(child.clone()),
                    );
                    nsps.insert(ns.name().to_owned(), ns.clone());
                    if let Some(parent) = child.parent.upgrade() {
                        parent
                            .children
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(ns.name().to_owned(), ns.clone());
                    }
                    ns
                }
            };
            live.insert_socket(socket.clone());
            live
        };
        socket.admitted_to(live.clone());
        // Out of the lock: room events call user code.
        let rooms = asked.adapter().socket_rooms(socket.id());
        asked.adapter().del_all(socket.id());
        if !rooms.is_empty() {
            live.adapter().add_all(socket.id(), &rooms);
        }
        live
    }
}
