// Types of the `sockeye` package: socket.io-client 4.8's API.

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

type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : never;
type AllButLast<T extends unknown[]> = T extends [...infer H, unknown] ? H : unknown[];
type FirstArg<T> = T extends (arg: infer A, ...rest: never[]) => unknown ? A : never;

/** Listener signatures with an `Error` first in acknowledgement callbacks (`timeout()`). */
type PrependTimeoutError<T extends unknown[]> = {
  [K in keyof T]: T[K] extends (...args: infer P) => infer R ? (err: Error, ...args: P) => R : T[K];
};
export type DecorateAcknowledgements<Map> = {
  [K in keyof Map]: Map[K] extends (...args: infer P) => infer R
    ? (...args: PrependTimeoutError<P>) => R
    : Map[K];
};

/** A minimal event emitter (@socket.io/component-emitter's API). */
declare class Emitter<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap = {},
> {
  on<Ev extends EventNames<ListenEvents & ReservedEvents>>(
    event: Ev,
    listener: (ListenEvents & ReservedEvents)[Ev],
  ): this;
  once<Ev extends EventNames<ListenEvents & ReservedEvents>>(
    event: Ev,
    listener: (ListenEvents & ReservedEvents)[Ev],
  ): this;
  off<Ev extends EventNames<ListenEvents & ReservedEvents>>(
    event?: Ev,
    listener?: (ListenEvents & ReservedEvents)[Ev],
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
  listeners<Ev extends EventNames<ListenEvents & ReservedEvents>>(
    event: Ev,
  ): (ListenEvents & ReservedEvents)[Ev][];
  hasListeners(event: string): boolean;
}

/** An `Error` with the server's `data` (`connect_error` from a middleware's `next(err)`). */
export interface ExtendedError extends Error {
  data?: unknown;
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

export interface ManagerOptions {
  /** Engine.IO path. Default "/socket.io". */
  path?: string;
  /** Whether `path` gets a trailing slash. Default true. */
  addTrailingSlash?: boolean;
  /** Query parameters sent with every request. */
  query?: string | { [key: string]: string | number | boolean };
  /** Transports in order of preference. Default ["polling", "websocket"]. */
  transports?: ("polling" | "websocket" | "webtransport")[];
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
  /** Add a cache-busting `t` parameter to every request (default: polling only). */
  timestampRequests?: boolean;
  /** Drop the connection silently when the page unloads. Default false. */
  closeOnBeforeunload?: boolean;
}

export interface ManagerReservedEvents {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  close: (reason: string, description?: DisconnectDescription) => void;
  reconnect_failed: () => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect: (attempt: number) => void;
}

/** An Engine.IO packet, as the engine's `packet` event gives it. */
export interface EnginePacket {
  type: "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop";
  data?: string | ArrayBuffer;
}

export interface EngineReservedEvents {
  upgrading: () => void;
  upgrade: (transport: { name: "websocket" }) => void;
  upgradeError: (err: Error) => void;
  packet: (packet: EnginePacket) => void;
  error: (err: Error) => void;
  close: (reason: string, description?: DisconnectDescription) => void;
}

/** The Engine.IO connection under a manager. */
export declare class Engine extends Emitter<{}, {}, EngineReservedEvents> {
  /** The session id, once the handshake arrived. */
  readonly id: string | undefined;
  /** The transport the session runs on. */
  readonly transport: { name: "polling" | "websocket" } | undefined;
}

export declare class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<{}, {}, ManagerReservedEvents> {
  constructor(uri?: string, opts?: Partial<ManagerOptions & SocketOptions>);
  constructor(opts: Partial<ManagerOptions & SocketOptions>);
  readonly uri: string;
  readonly opts: Partial<ManagerOptions & SocketOptions>;
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

export declare class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ListenEvents, EmitEvents, SocketReservedEvents> {
  readonly io: Manager<ListenEvents, EmitEvents>;
  readonly nsp: string;
  /** Read at each connection; change it to send new credentials on the next one. */
  auth: SocketOptions["auth"];
  readonly id: string | undefined;
  readonly connected: boolean;
  readonly disconnected: boolean;
  readonly active: boolean;
  readonly recovered: boolean;
  connect(): this;
  open(): this;
  disconnect(): this;
  close(): this;
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): this;
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>>;
  send(...args: unknown[]): this;
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

export { io as connect, io as default };
