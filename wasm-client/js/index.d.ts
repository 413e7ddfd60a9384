// Types of the `sockeye` package: socket.io-client 4.8's API.
//
// Type-checked by `tsc --strict` over tests/types/typed-events.ts (the typed-events patterns of
// socket.io's TypeScript guide), and checked against the built package's exports and members by
// tests/types/declarations.test.mjs: only what the JS has is declared as a value.

/** The Socket.IO protocol revision. */
export declare const protocol: 5;

/**
 * Event names to listener signatures. The `any` index signature is what lets an `interface` of
 * yours (which has no implicit index signature) be used as a map.
 */
export interface EventsMap {
  [event: string]: any;
}

/**
 * The map used when none is given. Payloads are whatever the server sends, so their types are
 * unknown here; `any` (as socket.io-client has it) lets typed listeners such as
 * `(msg: string) => void` be registered. Give your own map for checked payloads.
 */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** The event names `emit` refuses (it throws): the protocol keeps them for its own events. */
export type ReservedEventName =
  | "connect"
  | "connect_error"
  | "disconnect"
  | "disconnecting"
  | "newListener"
  | "removeListener";

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * The listener of `Ev`: a reserved event's own signature, else the map's. When neither names it
 * (`Ev` still generic in the caller's code), an untyped listener rather than `never`.
 */
type ListenerOf<Reserved, Listen, Ev> = [
  Ev extends keyof Reserved ? Reserved[Ev] : Ev extends keyof Listen ? Listen[Ev] : never,
] extends [infer L]
  ? [L] extends [never]
    ? (...args: any[]) => void
    : L
  : never;

/**
 * Marks an acknowledgement callback decorated by `timeout()`, keeping the arguments the server
 * sends (after the error), so that `emitWithAck` resolves to the first of them. Types only: no
 * such property exists, and a callback need not have it.
 */
declare const timeoutAck: unique symbol;

/** An acknowledgement callback once `timeout()` applies: an `Error` first (`null` on success). */
type WithTimeoutError<F> = typeof timeoutAck extends keyof F
  ? F
  : F extends (...args: infer P) => infer R
    ? ((err: Error, ...args: P) => R) & { readonly [timeoutAck]?: P }
    : F;

/** The arguments the server acknowledges with, for an acknowledgement callback `F`. */
type AckArgs<F> = typeof timeoutAck extends keyof F
  ? Exclude<F[typeof timeoutAck], undefined>
  : F extends (...args: infer P) => any
    ? P
    : any[];

/** What `emitWithAck` resolves to: the first argument of the acknowledgement. */
type AckValue<F> =
  IsAny<F> extends true
    ? any
    : AckArgs<F> extends []
      ? undefined
      : AckArgs<F> extends [infer A, ...any[]]
        ? A
        : AckArgs<F> extends [(infer A)?, ...any[]]
          ? A | undefined
          : any;

/** The last element of a parameter list (`any` when it is not a tuple: the untyped map). */
type Last<T extends any[]> = T extends [...any[], infer L] ? L : any;
/** A parameter list without its last element (the acknowledgement). */
type AllButLast<T extends any[]> = T extends [...infer H, any] ? H : any[];

/**
 * A map whose acknowledgement callbacks take an `Error` first, as after `socket.timeout(ms)`:
 * `socket.timeout(5000).emit("hello", (err, value) => ...)`.
 */
export type DecorateAcknowledgements<Map> = {
  [K in keyof Map]: Map[K] extends (...args: infer P) => infer R
    ? (...args: { [I in keyof P]: WithTimeoutError<P[I]> }) => R
    : Map[K];
};

/** A minimal event emitter (@socket.io/component-emitter's API). */
declare class Emitter<ListenEvents extends EventsMap, ReservedEvents extends EventsMap = {}> {
  on<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    event: Ev,
    listener: ListenerOf<ReservedEvents, ListenEvents, Ev>,
  ): this;
  once<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    event: Ev,
    listener: ListenerOf<ReservedEvents, ListenEvents, Ev>,
  ): this;
  /** Removes `listener`, every listener of `event` without one, every listener without both. */
  off<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    event?: Ev,
    listener?: ListenerOf<ReservedEvents, ListenEvents, Ev>,
  ): this;
  addEventListener: this["on"];
  removeListener: this["off"];
  removeAllListeners: this["off"];
  removeEventListener: this["off"];
  /** Calls the listeners of a reserved event locally. */
  emitReserved<Ev extends EventNames<ReservedEvents>>(
    event: Ev,
    ...args: EventParams<ReservedEvents, Ev>
  ): this;
  listeners<Ev extends EventNames<ListenEvents> | EventNames<ReservedEvents>>(
    event: Ev,
  ): ListenerOf<ReservedEvents, ListenEvents, Ev>[];
  hasListeners(event: string): boolean;
}

/** An `Error` with the server's `data` (`connect_error` from a middleware's `next(err)`). */
export interface ExtendedError extends Error {
  data?: any;
}

export declare namespace Socket {
  type DisconnectReason =
    | "io server disconnect"
    | "io client disconnect"
    | "ping timeout"
    | "transport close"
    | "transport error"
    | "parse error"
    | "forced close";
}

/**
 * What closed the connection when this end did not: `{ description: "websocket connection closed" }`,
 * `"transport closed by the server"` (long-polling) or `"network connection lost"` (the browser's
 * `offline` event), or for a failed transport an `Error` whose `type` is `"TransportError"`.
 */
export type DisconnectDescription = Error | { description: string; context?: unknown };

export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ExtendedError) => void;
  /** `description` is undefined for a deliberate disconnection, a ping timeout or a parse error. */
  disconnect: (reason: Socket.DisconnectReason, description?: DisconnectDescription) => void;
}

export interface SocketOptions {
  /** The CONNECT payload, or a function handing it over; read at each connection. */
  auth?: { [key: string]: unknown } | ((cb: (data: object) => void) => void);
  /** Resend an unacknowledged emit up to this many times (at-least-once delivery). */
  retries?: number;
  /** The default acknowledgement timeout, in milliseconds. */
  ackTimeout?: number;
}

/** A transport's name, as `transports` lists them. */
export type TransportName = "polling" | "websocket" | "webtransport";

/** Options of one transport (`transportOptions`), over the connection's own. */
export interface TransportOptions {
  /** Headers added to this transport's requests. */
  extraHeaders?: { [header: string]: string };
  /** Query parameters added to this transport's requests. */
  query?: { [key: string]: string | number | boolean };
  [option: string]: unknown;
}

export interface ManagerOptions {
  /** The server's host name, over the URL's (`hostname` too). */
  host?: string;
  /** The server's host name, over the URL's. */
  hostname?: string;
  /** The server's port, over the URL's. */
  port?: string | number;
  /** Whether to connect with TLS (`https:`, `wss:`), over the URL's scheme. */
  secure?: boolean;
  /** Engine.IO path. Default "/socket.io". */
  path?: string;
  /** Whether `path` gets a trailing slash. Default true. */
  addTrailingSlash?: boolean;
  /** Query parameters sent with every request. */
  query?: string | { [key: string]: string | number | boolean };
  /** Transports in order of preference. Default ["polling", "websocket"]. */
  transports?: TransportName[];
  /** Options of each transport, over these (`{ polling: { extraHeaders } }`). */
  transportOptions?: { [transport: string]: TransportOptions };
  /** Upgrade from long-polling to WebSocket. Default true. */
  upgrade?: boolean;
  /** Open on WebSocket directly when the last WebSocket worked. Default false. */
  rememberUpgrade?: boolean;
  /** Try the next transport when the first fails to connect. Default false. */
  tryAllTransports?: boolean;
  /** Reconnect automatically. Default true. */
  reconnection?: boolean;
  /** Attempts before giving up. Default Infinity. */
  reconnectionAttempts?: number;
  /** First reconnection delay, in milliseconds. Default 1000. */
  reconnectionDelay?: number;
  /** Largest reconnection delay, in milliseconds. Default 5000. */
  reconnectionDelayMax?: number;
  /** Jitter of the reconnection delay, 0 to 1. Default 0.5. */
  randomizationFactor?: number;
  /** Connection timeout in milliseconds, or false for none. Default 20000. */
  timeout?: number | false;
  /** Timeout of one long-polling request, in milliseconds. Default: none. */
  requestTimeout?: number;
  /** Connect on creation. Default true. */
  autoConnect?: boolean;
  /** Always create a new manager (no multiplexing). Default false. */
  forceNew?: boolean;
  /** Share one manager per server. Default true. */
  multiplex?: boolean;
  /** Send cookies with cross-origin long-polling requests. Default false. */
  withCredentials?: boolean;
  /** Headers added to long-polling requests (browsers cannot add any to a WebSocket). */
  extraHeaders?: { [header: string]: string };
  /** Add a cache-busting parameter to every request (default: polling only). */
  timestampRequests?: boolean;
  /** The name of the cache-busting parameter. Default "t". */
  timestampParam?: string;
  /** WebSocket subprotocols (the `WebSocket` constructor's second argument). */
  protocols?: string | string[];
  /** Drop the connection silently when the page unloads. Default false. */
  closeOnBeforeunload?: boolean;
  /**
   * How packets travel, as socket.io-client's `parser`: a build of this package, e.g.
   * `import * as parser from "sockeye/msgpack"` (socket.io-msgpack-parser's wire; `sockeye/msgpack`
   * also exports `io` itself). Default: JSON, socket.io-parser's wire. Anything else throws.
   */
  parser?: Parser;
}

/**
 * A build of this package as the `parser` option takes it: the `sockeye/msgpack` module
 * (MessagePack) or the `sockeye` module (JSON).
 */
export interface Parser {
  Manager: typeof Manager;
}

/** A Socket.IO packet, as the manager's `packet` event gives it (socket.io-parser's shape). */
export interface Packet {
  /** CONNECT 0, DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4, BINARY_EVENT 5, BINARY_ACK 6. */
  type: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** The namespace. */
  nsp: string;
  data?: any;
  /** The acknowledgement id. */
  id?: number;
  /** The binary attachments announced. */
  attachments?: number;
}

export interface ManagerReservedEvents {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  /** Every Socket.IO packet received, decoded. */
  packet: (packet: Packet) => void;
  close: (reason: string, description?: DisconnectDescription) => void;
  reconnect_failed: () => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect: (attempt: number) => void;
}

/** An Engine.IO packet, as the engine's `packet` and `packetCreate` events give it. */
export interface EnginePacket {
  type: "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop";
  data?: string | ArrayBuffer;
}

/** The Engine.IO handshake (the OPEN packet's data), as the engine's `handshake` event gives it. */
export interface HandshakeData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** The transport an engine runs on. */
export interface EngineTransport {
  name: TransportName;
}

export interface EngineReservedEvents {
  open: () => void;
  handshake: (data: HandshakeData) => void;
  /** A packet received. */
  packet: (packet: EnginePacket) => void;
  /** A packet about to be sent. */
  packetCreate: (packet: EnginePacket) => void;
  /** The server's ping arrived. */
  ping: () => void;
  pong: () => void;
  /** Any sign of life from the server. */
  heartbeat: () => void;
  /** A message packet's data (also as `message`). */
  data: (data: string | ArrayBuffer) => void;
  message: (data: string | ArrayBuffer) => void;
  /** The write buffer was sent. */
  drain: () => void;
  /** The write buffer is being sent. */
  flush: () => void;
  upgrading: (transport: EngineTransport) => void;
  upgrade: (transport: EngineTransport) => void;
  upgradeError: (err: Error) => void;
  error: (err: Error) => void;
  close: (reason: string, description?: DisconnectDescription) => void;
}

/**
 * The Engine.IO connection under a manager (`manager.engine`). Its `id` and `transport` are
 * undefined while there is no connection (as the reference's before its first open).
 */
export interface Engine extends Emitter<{}, EngineReservedEvents> {
  /** The session id, once the handshake arrived. */
  readonly id: string;
  /** The transport the session runs on. */
  readonly transport: EngineTransport;
  readonly readyState: "opening" | "open" | "closing" | "closed";
  /** Closes the connection; the manager reconnects as after a lost one. */
  close(): this;
}

export declare class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<{}, ManagerReservedEvents> {
  constructor(uri?: string, opts?: Partial<ManagerOptions & SocketOptions>);
  constructor(opts: Partial<ManagerOptions & SocketOptions>);
  readonly uri: string;
  /** The options, read again at each (re)connection: change them on `reconnect_attempt`. */
  opts: Partial<ManagerOptions & SocketOptions>;
  readonly engine: Engine;
  readonly nsps: Record<string, Socket<ListenEvents, EmitEvents>>;
  readonly _readyState: "opening" | "open" | "closed";
  readonly _reconnecting: boolean;
  socket(nsp: string, opts?: Partial<SocketOptions>): Socket<ListenEvents, EmitEvents>;
  /** Whether the manager reconnects after a lost connection. */
  reconnection(): boolean;
  /** Turns reconnection on or off; off also cancels a reconnection already scheduled. */
  reconnection(v: boolean): this;
  /** Attempts before giving up (Infinity: no limit). */
  reconnectionAttempts(): number;
  /** Sets the attempts before giving up, from the next reconnection on. */
  reconnectionAttempts(v: number): this;
  /** The first reconnection delay, in milliseconds. */
  reconnectionDelay(): number;
  /** Sets the first reconnection delay, from the next delay on. */
  reconnectionDelay(v: number): this;
  /** The largest reconnection delay, in milliseconds. */
  reconnectionDelayMax(): number;
  /** Sets the largest reconnection delay, from the next delay on. */
  reconnectionDelayMax(v: number): this;
  /** The jitter of the reconnection delay, 0 to 1. */
  randomizationFactor(): number;
  /** Sets the jitter of the reconnection delay, from the next delay on. */
  randomizationFactor(v: number): this;
  /** The connection timeout in milliseconds, or false for none. */
  timeout(): number | false;
  /** Sets the connection timeout, from the next connection attempt on. */
  timeout(v: number | false): this;
  open(fn?: (err?: Error) => void): this;
  connect(fn?: (err?: Error) => void): this;
  close(): void;
  disconnect(): void;
}

/** An event name `emit` accepts: any of the map's but the reserved ones. */
type Emittable<Ev> = Ev extends ReservedEventName ? never : Ev;

export declare class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ListenEvents, SocketReservedEvents> {
  /** A socket on namespace `nsp` of `io` (`io.socket(nsp)` makes one once). */
  constructor(io: Manager<ListenEvents, EmitEvents>, nsp: string, opts?: Partial<SocketOptions>);
  readonly io: Manager<ListenEvents, EmitEvents>;
  readonly nsp: string;
  /** Read at each connection; change it to send new credentials on the next one. */
  auth: SocketOptions["auth"];
  readonly id: string | undefined;
  readonly connected: boolean;
  readonly disconnected: boolean;
  readonly active: boolean;
  readonly recovered: boolean;
  /** Events received before the socket connected, delivered once it does. */
  receiveBuffer: Array<ReadonlyArray<any>>;
  /** Emits waiting for a connection (`socket.sendBuffer = []` drops them). */
  sendBuffer: Array<Packet>;
  connect(): this;
  open(): this;
  disconnect(): this;
  close(): this;
  /** Emits `event`; a function last (when the map has one there) is the acknowledgement. */
  emit<Ev extends EventNames<EmitEvents>>(event: Emittable<Ev>, ...args: EventParams<EmitEvents, Ev>): this;
  /** Emits `event` and resolves with the acknowledgement's first argument. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Emittable<Ev>,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<AckValue<Last<EventParams<EmitEvents, Ev>>>>;
  send(...args: any[]): this;
  /** The next emit's acknowledgement gets an `Error` first, the timeout's after `ms`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  readonly volatile: this;
  compress(compress: boolean): this;
  onAny(listener: (event: string, ...args: any[]) => void): this;
  prependAny(listener: (event: string, ...args: any[]) => void): this;
  offAny(listener?: (event: string, ...args: any[]) => void): this;
  listenersAny(): ((event: string, ...args: any[]) => void)[];
  onAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
  prependAnyOutgoing(listener: (event: string, ...args: any[]) => void): this;
  offAnyOutgoing(listener?: (event: string, ...args: any[]) => void): this;
  listenersAnyOutgoing(): ((event: string, ...args: any[]) => void)[];
}

/**
 * A socket for `uri` (the page's origin when omitted; its path is the namespace). Sockets of one
 * server share a manager unless `forceNew` or `multiplex: false`.
 */
export declare function io<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(opts?: Partial<ManagerOptions & SocketOptions>): Socket<ListenEvents, EmitEvents>;
export declare function io<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(uri?: string, opts?: Partial<ManagerOptions & SocketOptions>): Socket<ListenEvents, EmitEvents>;

type ManagerClass = typeof Manager;
type SocketClass = typeof Socket;

/** What the reference's script build hangs on `io`: `new io.Manager(...)`, `io.connect(...)`. */
export declare namespace io {
  const Manager: ManagerClass;
  const Socket: SocketClass;
  const connect: typeof io;
  /** `io` itself, as the reference's script build has it (`io.io(...)`). */
  const io: typeof import("./index.js").io;
  const protocol: 5;
}

export { io as connect, io as default };
