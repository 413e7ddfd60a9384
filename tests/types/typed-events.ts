// The package's declarations under `tsc --strict` (tests/types/tsconfig.json; scripts/test.sh runs
// it): the typed-events patterns of socket.io's TypeScript guide (https://socket.io/docs/v4/typescript/)
// and its client recipes must compile, and each `// @ts-expect-error` line must not (tsc fails on
// one that compiles). Never run: `check` only gives the statements a scope.
import { io, Manager, Socket } from "sockeye";
import type { DisconnectDescription, EnginePacket, ExtendedError, HandshakeData, Packet } from "sockeye";
import sockeyeDefault, { connect, protocol } from "sockeye";

/** Whether `A` and `B` are the same type (`any` equals only `any`). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `A` is exactly `B`. */
function same<A, B>(_proof: Equal<A, B>): void {}

// The guide's maps (`Buffer` is Node's: an ArrayBuffer in the browser).
interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: ArrayBuffer) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}
interface ClientToServerEvents {
  hello: () => void;
  join: (room: string, callback: (members: number) => void) => void;
  ping: (callback: () => void) => void;
  greet: (name: string, callback: (reply: string, at: number) => void) => void;
}

export async function check(): Promise<void> {
  // io() gives a socket typed by the maps.
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
  const other = io<ServerToClientEvents, ClientToServerEvents>("https://example.com/admin", {
    transports: ["websocket"],
    auth: { token: "abc" },
  });
  same<typeof other, Socket<ServerToClientEvents, ClientToServerEvents>>(true);

  // Emitting: payloads and acknowledgements typed by ClientToServerEvents.
  socket.emit("hello");
  socket.emit("join", "room", (members) => same<typeof members, number>(true));
  // @ts-expect-error a wrong payload type
  socket.emit("join", 42, (members) => members);
  // @ts-expect-error a payload missing
  socket.emit("join", (members: number) => members);
  // @ts-expect-error an event the map does not have
  socket.emit("unknown");
  // @ts-expect-error a wrong acknowledgement type
  socket.emit("join", "room", (members: string) => members);
  // @ts-expect-error a reserved event
  socket.emit("connect");

  // Listening: listeners typed by ServerToClientEvents.
  socket.on("noArg", () => {});
  socket.on("basicEmit", (a, b, c) => {
    same<[typeof a, typeof b, typeof c], [number, string, ArrayBuffer]>(true);
  });
  socket.on("withAck", (d, callback) => {
    same<typeof d, string>(true);
    callback(123);
    // @ts-expect-error the acknowledgement takes a number
    callback("123");
  });
  socket.once("noArg", () => {});
  socket.off("basicEmit");
  // @ts-expect-error an event the map does not have
  socket.on("unknown", () => {});
  // @ts-expect-error a listener of the wrong payload type
  socket.on("basicEmit", (a: string) => a);

  // Reserved events.
  socket.on("connect", () => same<typeof socket.id, string | undefined>(true));
  socket.on("disconnect", (reason, description) => {
    same<typeof reason, Socket.DisconnectReason>(true);
    same<typeof description, DisconnectDescription | undefined>(true);
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (err) => {
    same<typeof err, ExtendedError>(true);
    console.log(err.message, err.data);
    if (!socket.active) socket.connect();
  });
  // @ts-expect-error `connect` has no argument
  socket.on("connect", (x: string) => x);

  // Acknowledgements with a timeout: an Error first.
  socket.timeout(5000).emit("join", "room", (err, members) => {
    same<[typeof err, typeof members], [Error, number]>(true);
  });
  // @ts-expect-error without the error first
  socket.timeout(5000).emit("join", "room", (members: number) => members);
  socket.timeout(1000).timeout(2000).emit("ping", (err) => same<typeof err, Error>(true));

  // emitWithAck resolves to the acknowledgement's first argument, with and without timeout().
  const members = await socket.emitWithAck("join", "room");
  same<typeof members, number>(true);
  const reply = await socket.timeout(1000).emitWithAck("greet", "Ada");
  same<typeof reply, string>(true);
  const none = await socket.emitWithAck("ping");
  same<typeof none, undefined>(true);
  // @ts-expect-error a wrong payload type
  await socket.emitWithAck("greet", 42);
  // @ts-expect-error a reserved event
  await socket.emitWithAck("disconnect");

  // The default map: any event, any payload; acknowledgements are `any`, as in the reference.
  const untyped = io("https://example.com", { forceNew: true });
  untyped.emit("anything", 1, "two", { three: 3 }, (ack: string) => ack);
  untyped.on("news", (msg: string, n: number) => [msg, n]);
  untyped.on("disconnect", (reason) => same<typeof reason, Socket.DisconnectReason>(true));
  const anyAck = await untyped.emitWithAck("anything", 1);
  same<typeof anyAck, any>(true);
  const anyTimedAck = await untyped.timeout(100).emitWithAck("anything");
  same<typeof anyTimedAck, any>(true);
  untyped.timeout(100).emit("anything", (err: Error, value: number) => [err, value]);
  untyped.volatile.compress(false).emit("tick");
  untyped.onAny((event, ...args) => [event, args]);
  untyped.onAnyOutgoing((event) => event);
  // @ts-expect-error a reserved event
  untyped.emit("connect_error");
  // @ts-expect-error a reserved event
  untyped.emit("disconnecting", 1);

  // socket.io: the Manager and its events.
  const manager: Manager<ServerToClientEvents, ClientToServerEvents> = socket.io;
  manager.on("reconnect_attempt", (attempt) => {
    same<typeof attempt, number>(true);
    // The documented token refresh: options are read again at each reconnection.
    manager.opts.query = { token: "fresh" };
    manager.opts.extraHeaders = { authorization: "bearer fresh" };
    manager.opts.transports = ["polling", "websocket"];
  });
  manager.on("reconnect", (attempt) => same<typeof attempt, number>(true));
  manager.on("reconnect_error", (err) => same<typeof err, Error>(true));
  manager.on("reconnect_failed", () => {});
  manager.on("error", (err) => same<typeof err, Error>(true));
  manager.on("ping", () => {});
  manager.on("packet", (packet) => {
    same<typeof packet, Packet>(true);
    if (packet.type === 2) console.log(packet.nsp, packet.data);
  });
  manager.on("close", (reason, description) => [reason, description]);
  // @ts-expect-error not a manager event
  manager.on("connect", () => {});
  // @ts-expect-error `reconnect_attempt` gives a number
  manager.on("reconnect_attempt", (attempt: string) => attempt);
  manager.reconnection(false).reconnectionDelay(500).timeout(false);
  const delayMax = manager.reconnectionDelayMax();
  same<typeof delayMax, number>(true);
  // The documented polling fallback after a WebSocket error.
  socket.on("connect_error", () => {
    socket.io.opts.transports = ["polling", "websocket"];
  });

  // socket.io.engine: the Engine.IO connection and its events.
  const engine = socket.io.engine;
  console.log(engine.id, engine.transport.name, engine.readyState);
  engine.once("upgrade", (transport) => same<typeof transport.name, "polling" | "websocket" | "webtransport">(true));
  engine.on("upgrading", () => {});
  engine.on("upgradeError", (err) => same<typeof err, Error>(true));
  engine.on("packet", ({ type, data }) => [type, data]);
  engine.on("packetCreate", (packet) => same<typeof packet, EnginePacket>(true));
  engine.on("handshake", (data) => same<typeof data, HandshakeData>(true));
  for (const event of ["open", "ping", "pong", "heartbeat", "drain", "flush"] as const) engine.on(event, () => {});
  engine.on("close", (reason, description) => [reason, description]);
  engine.on("error", (err) => err.message);
  engine.addEventListener("packet", (packet) => packet.type);
  // @ts-expect-error not an engine event
  engine.on("reconnect", () => {});
  engine.close();

  // The buffers.
  socket.sendBuffer = [];
  socket.receiveBuffer.length = 0;
  const queued: number = socket.sendBuffer.length + socket.receiveBuffer.length;
  console.log(queued);

  // The constructors and `io`'s properties (as the reference's script build has them).
  const m = new Manager("https://example.com", { reconnectionDelayMax: 10000, autoConnect: false });
  const admin: Socket = m.socket("/admin", { auth: { token: "123" } });
  const made = new Socket(m, "/chat");
  const viaIo = new io.Manager({ path: "/custom" });
  const s2: Socket = io.connect("https://example.com");
  same<typeof io.protocol, 5>(true);
  same<typeof protocol, 5>(true);
  same<typeof io.Socket, typeof Socket>(true);
  same<typeof connect, typeof io>(true);
  same<typeof sockeyeDefault, typeof io>(true);
  const opts: Partial<import("sockeye").ManagerOptions> = {
    timestampParam: "ts",
    timestampRequests: true,
    requestTimeout: 5000,
    protocols: ["v1"],
    transportOptions: { polling: { extraHeaders: { "x-custom": "1" } } },
    host: "example.com",
    hostname: "example.com",
    port: 8443,
    secure: true,
  };
  // @ts-expect-error not a transport
  io({ transports: ["carrier-pigeon"] });
  // @ts-expect-error `port` is a number or a string
  io({ port: true });
  console.log(admin, made, viaIo, s2, opts);
}
