// The `sockeye` ESM wrapper (pkg/index.js over the release wasm module) under Node.js's test
// runner, against the official `socket.io` server (tests/support/server.mjs) at SOCKEYE_TEST_URL.
// SOCKEYE_PKG names the built package folder (default: the repository's pkg/). WebSocket cases
// run where Node.js has a global WebSocket (22+, or 20 with --experimental-websocket).
import { test } from "node:test";
import assert from "node:assert/strict";

const pkg = new URL(process.env.SOCKEYE_PKG ?? "../../../pkg/", import.meta.url);
const { io, Manager, Socket, protocol } = await import(new URL("index.js", pkg + "/"));
const url = process.env.SOCKEYE_TEST_URL;
assert.ok(url, "SOCKEYE_TEST_URL is not set: run scripts/test-wasm.sh, which starts the server");
const hasWebSocket = typeof WebSocket === "function";

/** The first `event` of `emitter`, as a promise of its arguments (rejects after 5 s). */
function next(emitter, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), 5000);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

test("io() multiplexes namespaces on one manager, unless forceNew or the namespace is taken", async () => {
  const a = io(url + "/a", { transports: ["polling"] });
  const b = io(url + "/b", { transports: ["polling"] });
  const again = io(url + "/a", { transports: ["polling"] });
  const forced = io(url + "/b", { forceNew: true, transports: ["polling"] });
  assert.ok(a instanceof Socket && a.io instanceof Manager);
  assert.equal(a.io, b.io);
  assert.notEqual(again.io, a.io);
  assert.notEqual(forced.io, b.io);
  assert.equal(protocol, 5);
  await Promise.all([a, b].map((s) => (s.connected ? null : next(s, "connect"))));
  const [whoA, whoB] = await Promise.all([a.emitWithAck("whoami"), b.emitWithAck("whoami")]);
  assert.equal(whoA.nsp, "/a");
  assert.equal(whoB.nsp, "/b");
  assert.equal(whoA.engine, whoB.engine);
  assert.equal(a.io.engine.id, whoA.engine);
  for (const s of [a, b, again, forced]) s.io.close();
});

test("emit is variadic with an ack last; emitWithAck, timeout() and volatile work as flags", async () => {
  const socket = io(url, { forceNew: true, transports: ["polling"] });
  assert.equal(socket.connected, false);
  assert.equal(socket.disconnected, true);
  await next(socket, "connect");
  assert.equal(typeof socket.id, "string");
  assert.equal(socket.active, true);

  const acked = await new Promise((resolve) => socket.emit("echo", 1, "two", { three: [3] }, (...args) => resolve(args)));
  assert.deepEqual(acked, [1, "two", { three: [3] }]);
  assert.deepEqual(await socket.emitWithAck("echo", "x"), "x");
  // "record" is never acknowledged: the timeout flag fails the ack with an Error first.
  const [err] = await new Promise((resolve) => socket.timeout(50).emit("record", 1, (...args) => resolve(args)));
  assert.ok(err instanceof Error);
  assert.equal(err.message, "operation has timed out");
  await assert.rejects(socket.timeout(50).emitWithAck("record", 2), /operation has timed out/);
  // The flags apply to one emit only.
  assert.deepEqual(await new Promise((resolve) => socket.emit("echo", 4, (...args) => resolve(args))), [4]);
  assert.equal(socket.volatile, socket);
  assert.equal(socket.compress(false), socket);
  assert.throws(() => socket.emit("connect"), (e) => e instanceof Error && /reserved/.test(e.message));
  socket.disconnect();
  assert.equal(socket.active, false);
});

test("onAny and onAnyOutgoing see events; server events get an ack function", async () => {
  const socket = io(url, { forceNew: true, transports: ["polling"], autoConnect: false });
  const incoming = [];
  const outgoing = [];
  const any = (...args) => incoming.push(args);
  socket.onAny(any);
  socket.prependAny(() => {});
  socket.onAnyOutgoing((...args) => outgoing.push(args));
  assert.equal(socket.listenersAny().length, 2);
  socket.on("question", (question, answer) => answer(`${question} blue`));
  // Sent while offline: buffered, and seen by the outgoing listeners when it leaves.
  socket.emit("echo", "buffered");
  assert.deepEqual(outgoing, []);
  socket.connect();
  await next(socket, "connect");
  assert.deepEqual(outgoing, [["echo", "buffered"]]);
  const [echoed] = await next(socket, "echo");
  assert.equal(echoed, "buffered");
  assert.deepEqual(await socket.emitWithAck("ask", "color?"), { answer: "color? blue" });
  assert.deepEqual(incoming[0], ["echo", "buffered"]);
  assert.equal(incoming[1][0], "question");
  socket.offAny(any);
  assert.equal(socket.listenersAny().length, 1);
  socket.io.close();
});

test("connect_error is an Error with the middleware's data; auth is read at each connection", async () => {
  let calls = 0;
  const socket = io(url, {
    forceNew: true,
    transports: ["polling"],
    auth: (cb) => {
      calls++;
      cb({ token: "bad" });
    },
  });
  const [err] = await next(socket, "connect_error");
  assert.ok(err instanceof Error);
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { reason: "bad token" });
  assert.equal(calls, 1);
  assert.equal(socket.active, false);
  socket.auth = { token: "ok", name: "second" };
  socket.connect();
  await next(socket, "connect");
  assert.deepEqual((await socket.emitWithAck("whoami")).auth, { token: "ok", name: "second" });
  socket.io.close();
});

test("binary arrives as ArrayBuffer, wherever it is nested", async () => {
  const socket = io(url, { forceNew: true, transports: ["polling"] });
  const blob = new Blob([new Uint8Array([7, 8])]);
  const [bytes, nested] = await new Promise((resolve) =>
    socket.emit("echo", new Uint8Array([1, 2]), { deep: [blob, new DataView(new ArrayBuffer(1))] }, (...a) => resolve(a)),
  );
  assert.ok(bytes instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(bytes)], [1, 2]);
  assert.deepEqual([...new Uint8Array(nested.deep[0])], [7, 8]);
  assert.equal(nested.deep[1].byteLength, 1);
  socket.io.close();
});

test("the manager reports reconnection; the engine its transport and upgrade", { skip: !hasWebSocket && "no global WebSocket" }, async () => {
  const socket = io(url, { forceNew: true, reconnectionDelay: 50, randomizationFactor: 0 });
  const manager = socket.io;
  const [upgraded] = await next(manager.engine, "upgrade");
  assert.deepEqual(upgraded, { name: "websocket" });
  assert.equal(manager.engine.transport.name, "websocket");
  const first = manager.engine;
  if (!socket.connected) await next(socket, "connect");
  socket.emit("drop");
  const [reason] = await next(socket, "disconnect");
  assert.equal(reason, "transport close");
  const [attempt] = await next(manager, "reconnect");
  assert.equal(attempt, 1);
  // As the reference's, each connection has an engine object of its own, with its own events.
  assert.notEqual(manager.engine, first);
  const packets = [];
  manager.engine.on("packet", (p) => packets.push(p.type));
  await next(socket, "connect");
  assert.ok(packets.includes("message"), packets.join());
  manager.close();
});

test("a missing global WebSocket is a clear Error", { skip: hasWebSocket && "this Node.js has WebSocket" }, () => {
  assert.throws(() => io(url, { forceNew: true }), /no global WebSocket/);
});

test("the manager's option accessors read and set, from the next reconnection on", async () => {
  const socket = io(url, { forceNew: true, transports: ["polling"], reconnectionDelay: 50, randomizationFactor: 0 });
  const manager = socket.io;
  // The reference's defaults and the options given.
  assert.equal(manager.reconnection(), true);
  assert.equal(manager.reconnectionAttempts(), Infinity);
  assert.equal(manager.reconnectionDelay(), 50);
  assert.equal(manager.reconnectionDelayMax(), 5000);
  assert.equal(manager.randomizationFactor(), 0);
  assert.equal(manager.timeout(), 20000);
  assert.equal(manager.timeout(false), manager);
  assert.equal(manager.timeout(), false);
  assert.equal(manager.timeout(20000).reconnectionDelayMax(100).reconnectionDelayMax(), 100);
  await next(socket, "connect");

  // No attempts: a lost connection ends in reconnect_failed.
  manager.reconnectionAttempts(0);
  const [disconnected, failed] = [next(socket, "disconnect"), next(manager, "reconnect_failed")];
  socket.emit("drop");
  // The reference's second argument: on long-polling, the server's close packet.
  const [reason, description] = await disconnected;
  assert.equal(reason, "transport close");
  assert.deepEqual(description, { description: "transport closed by the server" });
  await failed;

  // Reconnection off: nothing is attempted after the next loss.
  manager.reconnectionAttempts(Infinity).reconnection(false);
  assert.equal(manager.reconnection(), false);
  let attempts = 0;
  manager.on("reconnect_attempt", () => attempts++);
  manager.open();
  await next(socket, "connect");
  const closed = next(manager, "close");
  socket.emit("drop");
  const [closeReason, closeDescription] = await closed;
  assert.equal(closeReason, "transport close");
  assert.deepEqual(closeDescription, { description: "transport closed by the server" });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(attempts, 0);
  assert.equal(socket.connected, false);

  // On again: reconnects after the next loss. A deliberate disconnection has no description.
  manager.reconnection(true);
  manager.open();
  await next(socket, "connect");
  socket.emit("drop");
  await next(socket, "connect");
  assert.equal(attempts, 1);
  const kicked = new Promise((resolve) => socket.once("disconnect", (...args) => resolve(args)));
  socket.emit("kick");
  assert.deepEqual(await kicked, ["io server disconnect", undefined]);
  manager.close();
});
