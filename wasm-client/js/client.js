// socket.io-client's API over the WebAssembly client: the package's entry points (`index.js`, the
// ES module, and `classic.js`, the classic-script build) instantiate the module, call `ready()`,
// and re-export this file.
//
// What wasm-bindgen cannot express lives here: listeners, variadic `emit(ev, ...args, ack)`, the
// `timeout()` / `volatile` / `compress()` flags, and `io()`'s manager cache. Everything the
// protocol decides (packets, acks, buffering, retries, reconnection, heartbeats, upgrades) runs in
// the wasm module.

import { RawManager } from "./sockeye_client.js";
import { logger } from "./debug.js";

// The defaults of the options this wrapper reads itself, from the core (the wasm side fills in
// any option left undefined): this file states none of its own. Read by `ready()`, once the
// module is instantiated.
let defaultPath,
  defaultAutoConnect,
  defaultReconnection,
  defaultReconnectionAttempts,
  defaultReconnectionDelay,
  defaultReconnectionDelayMax,
  defaultRandomizationFactor,
  defaultTimeout;

/** Reads the core's defaults: called once the wasm module is instantiated, before any `io()`. */
export function ready() {
  [
    defaultPath,
    defaultAutoConnect,
    defaultReconnection,
    defaultReconnectionAttempts,
    defaultReconnectionDelay,
    defaultReconnectionDelayMax,
    defaultRandomizationFactor,
    defaultTimeout,
  ] = RawManager.defaults();
}

const autoConnect = (opts) => (opts.autoConnect ?? defaultAutoConnect) !== false;

// Whether emit arguments may hold a binary value (an `ArrayBuffer`, a view, a `Blob`), which only
// the module's `JSON.stringify` replacer turns into attachments. Without one, the module
// stringifies without a replacer: V8's fast path, and no call into the module per value. A
// `toJSON` (its result could be binary) or more than a few hundred objects (deep, or a cycle)
// answers yes, leaving the case to the replacer, which also reports a cycle as before.
function mayHoldBinary(args) {
  let budget = 500;
  const walk = (v) =>
    typeof v == "object" &&
    v !== null &&
    (--budget < 0 ||
      typeof v.toJSON == "function" ||
      v instanceof ArrayBuffer ||
      ArrayBuffer.isView(v) ||
      (typeof Blob == "function" && v instanceof Blob) ||
      Object.values(v).some(walk));
  return walk(args);
}

// The JSON text of emit or ack arguments without binary values, or undefined for the module's
// replacer to make (see mayHoldBinary): stringified here, the text enters the module as an
// argument of the call rather than through two more calls between JS and the module.
const json = (args) => (mayHoldBinary(args) ? undefined : JSON.stringify(args));

// The reference closes the transport as soon as the browser goes offline, rather than waiting
// for a ping timeout. One listener, added while the module is evaluated (a service worker only
// honours `offline` listeners added then), forwards the event to the managers not closed. A
// manager leaves the set once closed for good, so that the set never keeps a manager (and its
// wasm driver) the application dropped.
const openManagers = new Set();
const listen = typeof addEventListener === "function";
if (listen) addEventListener("offline", () => openManagers.forEach((m) => m[raw]?.command(2)), false);
// `closeOnBeforeunload`: as the reference, a `beforeunload` listener (which keeps the page out of
// the back/forward cache) only while a manager that asks for it is open.
let unloading = 0;
const onBeforeunload = () => openManagers.forEach((m) => m.opts.closeOnBeforeunload && m[raw]?.command(4));
function track(manager, open) {
  if (open === openManagers.has(manager)) return;
  openManagers[open ? "add" : "delete"](manager);
  if (manager.opts.closeOnBeforeunload && listen && (open ? !unloading++ : !--unloading)) {
    (open ? addEventListener : removeEventListener)("beforeunload", onBeforeunload, false);
  }
}

// The wasm driver holds the callbacks it reports to as JS roots, which the garbage collector
// cannot see through: a callback that held its Manager or Socket would keep it, its driver and so
// the callback itself alive forever. So the driver gets a forwarder that holds its target only
// weakly, made here (a closure made in a constructor would keep the constructor's `this` through
// its scope); the target keeps its own handler, under this key. While open, a manager is kept by
// `openManagers`; once closed, by `settling` until its driver has nothing in flight, then by the
// application's references, if any.
const onRaw = Symbol("onRaw");
// Closed managers whose driver still has something in flight (the DISCONNECT's POST, an aborted
// poll, a closing WebSocket), until the driver says it settled. Were such a manager collected
// first, the `settled` event that frees its handles would reach no one, and the driver would wait
// for the collector to finalize the handles.
const settling = new Set();
// A manager closed for good frees its wasm handles (RawManager, RawSockets) at once, rather than
// when the collector gets round to them (their finalizers run on JS heap pressure, which the wasm
// memory they hold does not add to): the driver says so with a `settled` event (nothing in flight)
// whose value says it is idle, and the handles are freed once out of that call (wasm-bindgen
// refuses to free an object in use). The manager keeps what it takes to make equal ones (its
// options and setters' values, its sockets in creation order), and the next command makes them again, closed; getters answer "closed" meanwhile.
// `raw` is the manager's live RawManager, or undefined once freed; `live` makes it again.
const raw = Symbol("raw");
const live = Symbol("live");
const adopt = Symbol("adopt");
const attach = Symbol("attach");
const detach = Symbol("detach");
const packets = Symbol("packets");
const newEngine = Symbol("newEngine");
function weakly(target) {
  const ref = new WeakRef(target);
  return (a, b, c) => ref.deref()?.[onRaw](a, b, c);
}

/** The Socket.IO protocol revision. */
export const protocol = 5;

/** A minimal event emitter, as @socket.io/component-emitter. */
class Emitter {
  #listeners = new Map();

  on(event, listener) {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  once(event, listener) {
    const once = (...args) => {
      this.off(event, once);
      listener.apply(this, args);
    };
    once.fn = listener;
    return this.on(event, once);
  }

  off(event, listener) {
    if (event === undefined) this.#listeners.clear();
    else if (listener === undefined) this.#listeners.delete(event);
    else {
      const list = this.#listeners.get(event) ?? [];
      const i = list.findIndex((l) => l === listener || l.fn === listener);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  emit(event, ...args) {
    for (const l of this.listeners(event).slice()) l.apply(this, args);
    return this;
  }

  emitReserved(event, ...args) {
    return Emitter.prototype.emit.call(this, event, ...args);
  }

  listeners(event) {
    return this.#listeners.get(event) ?? [];
  }

  hasListeners(event) {
    return this.listeners(event).length > 0;
  }
}
// Through `this`, so that a subclass's `on` (Engine's) serves its aliases too.
for (const [alias, name] of [
  ["addEventListener", "on"],
  ["removeListener", "off"],
  ["removeAllListeners", "off"],
  ["removeEventListener", "off"],
]) {
  Emitter.prototype[alias] = function (event, listener) {
    return this[name](event, listener);
  };
}

/** A URL as the reference resolves it: relative to the page, `https://` when there is none. */
function absolute(uri) {
  const loc = globalThis.location;
  if (uri == null) {
    if (!loc) throw new Error("sockeye: io() needs a URL outside a web page");
    uri = loc.protocol + "//" + loc.host;
  }
  uri = String(uri);
  if (uri.startsWith("//")) uri = (loc ? loc.protocol : "https:") + uri;
  else if (uri.startsWith("/") && loc) uri = loc.host + uri;
  if (!/^(https?|wss?):\/\//i.test(uri)) uri = (loc ? loc.protocol + "//" : "https://") + uri;
  return uri;
}

/** The Engine.IO connection of a manager (`manager.engine`): one per connection, as the reference's. */
class Engine extends Emitter {
  #raw;

  constructor(raw) {
    super();
    this.#raw = raw;
  }

  on(event, listener) {
    // Copying every packet costs; the core only does it once someone listens. `heartbeat`,
    // `data` and `message` are told from the packets, as the reference does.
    if (/^(packet|heartbeat|data|message)$/.test(event) && !this[packets]) {
      this[packets] = true;
      this.#raw()?.packetEvents(true, true);
    }
    return super.on(event, listener);
  }

  /** `"opening"`, `"open"`, `"closing"` or `"closed"`. */
  get readyState() {
    return this.#raw()?.state(3) ?? "closed";
  }

  /** Closes the connection; the manager reconnects, as after any lost transport. */
  close() {
    this.#raw()?.command(3);
  }

  /** The session id, once the handshake arrived. */
  get id() {
    return this.#raw()?.state(4);
  }

  /** The transport the session runs on. */
  get transport() {
    const name = this.#raw()?.state(5);
    return name === undefined ? undefined : { name };
  }
}

/** One connection to a server, shared by the sockets of its namespaces. */
export class Manager extends Emitter {
  /** Marks the Manager of each build of this package, which has its own copy of this file (see `parser`). */
  static sockeye = 1;
  /** The sockets of this manager, by namespace. */
  nsps = {};
  /** Its sockets in creation order (those of `nsps`, and any made with `new Socket`). */
  #sockets = [];

  constructor(uri, opts) {
    super();
    if (uri && typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.opts = opts = opts ?? {};
    // `parser`, as socket.io-client takes it: a build of this package (`import * as parser from
    // "sockeye/msgpack"`); another build's makes the manager there. A socket.io parser (or any
    // other object) cannot run in the wasm module: refused rather than ignored.
    const parser = opts.parser;
    if (parser && parser.Manager !== Manager) {
      if (!parser.Manager?.sockeye) throw new Error("sockeye: unsupported parser");
      return new parser.Manager(uri, opts);
    }
    // No URL: the reference builds it from `host` / `hostname`, `port` and `secure`, the page's
    // location filling in what they leave out.
    if (uri == null) {
      const loc = globalThis.location;
      const host = opts.host?.replace(/:\d*$/, "") || opts.hostname || loc?.hostname;
      const port = opts.port || loc?.port;
      if (host) uri = ((opts.secure ?? loc?.protocol == "https:") ? "https://" : "http://") + host + (port ? ":" + port : "");
    }
    this.uri = absolute(uri);
    this[newEngine]();
    let description;
    const log = logger("socket.io-client:manager");
    const engineLog = logger("engine.io-client:socket");
    this[onRaw] = (kind, value, fromEngine) => {
      (fromEngine ? engineLog : log)?.(kind, value);
      const engine = this.engine;
      if (fromEngine) {
        engine.emitReserved(kind, value);
        if (kind === "packet") {
          engine.emitReserved("heartbeat");
          if (value.type === "message") engine.emitReserved("data", value.data).emitReserved("message", value.data);
        }
        return;
      }
      // A new engine is opening: a new `engine` object, as the reference makes one per connection.
      if (kind === "opening") {
        if (engine[packets]) this[raw].packetEvents(false, true);
        this[newEngine]();
        // The engine's debug log shows the packets received: the core sends them once listened to.
        if (engineLog) this.engine.on("packet", () => {});
        return;
      }
      if (kind === "ping") engine.emitReserved("ping").emitReserved("pong");
      // Closed for good (after a "close", an "error" or "reconnect_failed"): no longer kept.
      const r = this[raw];
      if (r?.state(0) === "closed" && !r.state(1)) {
        track(this, false);
        settling.add(this);
      }
      if (kind === "settled") {
        settling.delete(this);
        return void (value && queueMicrotask(() => this.#free()));
      }
      // What closed the engine (the reference's `description`), just before its "close".
      if (kind === "closeDescription") return void (description = value);
      if (kind !== "close") return this.emitReserved(kind, value);
      const why = description;
      description = undefined;
      this.emitReserved("close", value, why);
      engine.emitReserved("close", value, why);
    };
    this[raw] = new RawManager(this.uri, opts, weakly(this));
    // The engine's debug log shows the packets received: the core sends them once listened to.
    if (engineLog) this.engine.on("packet", () => {});
    log?.("opening", this.uri);
    if (autoConnect(opts)) track(this, true);
  }

  on(event, listener) {
    // The manager's `packet` (each Socket.IO packet decoded): copied only once someone listens.
    if (event === "packet" && !this[packets]) {
      this[packets] = true;
      this[raw]?.packetEvents(true, false);
    }
    return super.on(event, listener);
  }

  /** A new `engine` object, which reads the RawManager until the next one replaces it. @internal */
  [newEngine]() {
    const engine = (this.engine = new Engine(() => (this.engine === engine ? this[raw] : undefined)));
  }

  /** The RawManager, made again (closed, its sockets too) if it was freed. @internal */
  [live]() {
    if (this[raw]) return this[raw];
    // Closed: `autoConnect` is applied by whoever connects (see Socket's constructor).
    const r = (this[raw] = new RawManager(this.uri, this.opts, weakly(this), true));
    for (const [name, value] of Object.entries(this._settings ?? {})) r.set(name, value);
    if (this.engine[packets]) r.packetEvents(true, true);
    if (this[packets]) r.packetEvents(true, false);
    for (const socket of this.#sockets) socket[attach](r);
    return r;
  }

  /** Adds a socket made on this manager, in creation order. @internal */
  [adopt](socket) {
    this.#sockets.push(socket);
  }

  /** Frees the handles if the manager is still idle (closed for good). */
  #free() {
    const r = this[raw];
    if (!r?.state(2)) return;
    this[raw] = undefined;
    for (const socket of this.#sockets) socket[detach]();
    r.free();
  }

  /** The manager's state: "opening", "open" or "closed". */
  get _readyState() {
    return this[raw]?.state(0) ?? "closed";
  }

  /** Whether a reconnection is scheduled or under way. */
  get _reconnecting() {
    return this[raw]?.state(1) ?? false;
  }

  /** The socket of namespace `nsp`, created once. */
  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) socket = this.nsps[nsp] = new Socket(this, nsp, opts);
    else if (autoConnect(this.opts) && !socket.active) socket.connect();
    return socket;
  }

  /** Opens the connection; `fn` hears the outcome (nothing, or the error). */
  open(fn) {
    if (fn) {
      const done = (err) => {
        this.off("open", done).off("error", done);
        fn(err);
      };
      this.on("open", done).on("error", done);
    }
    track(this, true);
    this[live]().command(0);
    return this;
  }

  connect(fn) {
    return this.open(fn);
  }

  /** Closes the connection without reconnecting. */
  close() {
    track(this, false);
    this[live]().command(1);
  }

  disconnect() {
    this.close();
  }
}

// The reference's option accessors: `manager.reconnection()` reads, `manager.reconnection(false)`
// sets (from the next reconnection on) and returns the manager. Before a setter, the option as
// the reference's constructor reads it, else the core's default.
for (const [name, initial] of [
  ["reconnection", (o) => o.reconnection !== false && defaultReconnection],
  ["reconnectionAttempts", (o) => o.reconnectionAttempts || defaultReconnectionAttempts],
  ["reconnectionDelay", (o) => o.reconnectionDelay || defaultReconnectionDelay],
  ["reconnectionDelayMax", (o) => o.reconnectionDelayMax || defaultReconnectionDelayMax],
  ["randomizationFactor", (o) => o.randomizationFactor ?? defaultRandomizationFactor],
  ["timeout", (o) => o.timeout ?? defaultTimeout],
]) {
  // As the reference: these two read on no argument at all, the others on `undefined`.
  const byArity = name === "reconnection" || name === "timeout";
  Manager.prototype[name] = function (...args) {
    const settings = (this._settings ??= {});
    if (byArity ? !args.length : args[0] === undefined) {
      return name in settings ? settings[name] : initial(this.opts);
    }
    settings[name] = name === "reconnection" ? !!args[0] : args[0];
    // A freed manager gets it when made again.
    this[raw]?.set(name, args[0]);
    return this;
  };
}

/** A socket on one namespace of a manager. */
export class Socket extends Emitter {
  /** The RawSocket, undefined while its manager's handles are freed. */
  #raw;
  #opts;
  #flags = {};
  #any = [];
  #anyOutgoing = [];
  /** Emits waiting in the offline buffer, for the outgoing listeners once they leave. */
  #buffered = [];
  #authLater = false;
  #log = logger("socket.io-client:socket");

  constructor(io, nsp, opts) {
    super();
    this.io = io;
    this.nsp = nsp;
    if (opts && opts.auth) this.auth = opts.auth;
    this[onRaw] = (kind, value, id) => this.#on(kind, value, id);
    this.#opts = opts ?? {};
    // A socket that connects on creation opens its manager, if closed.
    const connect = autoConnect(io.opts);
    if (connect) track(io, true);
    this[attach](io[live]());
    io[adopt](this);
    if (this.#authLater) this.#sendAuth();
    // A manager made again after being freed does not connect on its own.
    if (connect && !this.#raw.state(2)) this.#raw.connect(false);
  }

  /** Makes the RawSocket on the manager's (new) RawManager. @internal */
  [attach](r) {
    this.#raw = r.socket(this.nsp, this.#opts, weakly(this));
  }

  /** Frees the RawSocket (its manager is freeing its handles). @internal */
  [detach]() {
    this.#raw?.free();
    this.#raw = undefined;
  }

  /** The RawSocket, made again (with its manager's) if freed. */
  #live() {
    if (!this.#raw) this.io[live]();
    return this.#raw;
  }

  #on(kind, value, id) {
    this.#log?.(kind, this.nsp, value, id);
    if (kind === "event") {
      if (id !== undefined) {
        let sent = false;
        value.push((...args) => {
          if (!sent) {
            sent = true;
            this.#live().ack(id, json(args), args);
          }
        });
      }
      for (const l of this.#any.slice()) l.apply(this, value);
      return this.emitReserved(...value);
    }
    if (kind === "auth") {
      // Asked while the socket is being created: answered once it is.
      if (this.#raw) this.#sendAuth();
      else this.#authLater = true;
      return;
    }
    if (kind === "connect") {
      for (const args of this.#buffered.splice(0)) this.#notifyOutgoing(args);
    }
    // "disconnect" has the reference's `description` second (undefined when deliberate).
    if (kind === "disconnect") return this.emitReserved(kind, value, id);
    this.emitReserved(kind, value);
  }

  #sendAuth() {
    this.#authLater = false;
    // Read now, as the reference does: applications change `socket.auth` between connections.
    const auth = this.auth;
    if (typeof auth === "function") auth((data) => this.#live().connectWithAuth(data));
    else this.#raw.connectWithAuth(auth);
  }

  #notifyOutgoing(args) {
    for (const l of this.#anyOutgoing.slice()) l.apply(this, args);
  }

  #emit(args, ack, withError) {
    const flags = this.#flags;
    this.#flags = {};
    this.#log?.("emitting packet", this.nsp, args, flags);
    // Bits: 1 with an error first, 2 volatile.
    this.#live().emit(json(args), args, ack, flags.timeout, withError | (flags.volatile ? 2 : 0));
    if (this.#anyOutgoing.length) {
      if (this.connected) this.#notifyOutgoing(args);
      else if (!flags.volatile) this.#buffered.push(args);
    }
  }

  /** The session id while connected. */
  // A freed socket is disconnected, inactive, not recovered.
  get id() {
    return this.#raw?.state(0);
  }

  get connected() {
    return this.#raw?.state(1) ?? false;
  }

  get disconnected() {
    return !this.connected;
  }

  /** Whether the socket reconnects when its manager does. */
  get active() {
    return this.#raw?.state(2) ?? false;
  }

  /** Whether the last connection recovered the previous session. */
  get recovered() {
    return this.#raw?.state(3) ?? false;
  }

  /** The packets the offline buffer holds (copies); assigning an empty array drops them. */
  get sendBuffer() {
    return this.#raw?.buffer(false) ?? [];
  }

  set sendBuffer(packets) {
    if (!packets?.length) {
      this.#raw?.clearBuffer(false);
      this.#buffered.length = 0;
    }
  }

  /** The events received before the CONNECT completed (copies); assigning an empty array drops them. */
  get receiveBuffer() {
    return this.#raw?.buffer(true) ?? [];
  }

  set receiveBuffer(events) {
    if (!events?.length) this.#raw?.clearBuffer(true);
  }

  connect() {
    track(this.io, true);
    this.#live().connect(false);
    return this;
  }

  open() {
    return this.connect();
  }

  disconnect() {
    this.#live().connect(true);
    return this;
  }

  close() {
    return this.disconnect();
  }

  /** Emits `event` with `args`; a function last is the acknowledgement callback. */
  emit(event, ...args) {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
    this.#emit([event, ...args], ack, false);
    return this;
  }

  /** Emits `event` and resolves with the server's acknowledgement. */
  emitWithAck(event, ...args) {
    return new Promise((resolve, reject) =>
      this.#emit([event, ...args], (err, value) => (err ? reject(err) : resolve(value)), true),
    );
  }

  /** Sends a `message` event. */
  send(...args) {
    return this.emit("message", ...args);
  }

  /** The next emit's acknowledgement fails with an error after `ms` milliseconds. */
  timeout(ms) {
    this.#flags.timeout = ms;
    return this;
  }

  /** The next emit is dropped rather than buffered when it cannot leave now. */
  get volatile() {
    this.#flags.volatile = true;
    return this;
  }

  /** Accepted for compatibility: the browser decides WebSocket compression. */
  compress(compress) {
    this.#flags.compress = compress;
    return this;
  }

  onAny(listener) {
    this.#any.push(listener);
    return this;
  }

  prependAny(listener) {
    this.#any.unshift(listener);
    return this;
  }

  offAny(listener) {
    remove(this.#any, listener);
    return this;
  }

  listenersAny() {
    return this.#any;
  }

  onAnyOutgoing(listener) {
    this.#anyOutgoing.push(listener);
    return this;
  }

  prependAnyOutgoing(listener) {
    this.#anyOutgoing.unshift(listener);
    return this;
  }

  offAnyOutgoing(listener) {
    remove(this.#anyOutgoing, listener);
    return this;
  }

  listenersAnyOutgoing() {
    return this.#anyOutgoing;
  }
}

function remove(list, listener) {
  if (listener === undefined) list.length = 0;
  else {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }
}

const cache = {};

/**
 * A socket for `uri` (the page's origin when omitted; its path is the namespace). Sockets of one
 * server share a manager, and so one connection, unless `forceNew` or `multiplex: false`.
 */
export function io(uri, opts) {
  if (uri && typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  opts = opts ?? {};
  const source = absolute(uri);
  const url = new URL(source);
  const port = url.port || (/s:$/.test(url.protocol) ? "443" : "80");
  const id = url.protocol + "//" + url.hostname + ":" + port + (opts.path || defaultPath);
  const nsp = url.pathname;
  const manager =
    opts.forceNew || opts["force new connection"] || opts.multiplex === false || cache[id]?.nsps[nsp]
      ? new Manager(source, opts)
      : (cache[id] ??= new Manager(source, opts));
  return manager.socket(nsp, opts);
}

// As the reference: `io.Manager`, `io.connect` ... for code that reaches them through `io`.
Object.assign(io, { Manager, Socket, io, connect: io, protocol });

export { io as connect };
