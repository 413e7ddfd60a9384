// The reference server (the official `socket.io` package from npm) for the browser tests: binds
// 127.0.0.1 on two free ports, the second with connection state recovery, prints `PORT <n>` and
// `RECOVERY_PORT <m>` once listening, and exits on SIGTERM, when its standard input closes (its
// parent went away) or after ten minutes, whichever comes first. native-server/examples/wasm-peer.rs
// is its twin on sockeye-server: the same handlers, so that the same tests run against both.
//
// The native Rust client's tests (wasm-client/tests/native/servers.rs) run against it too, with
// the options they need:
//
//   node wasm-client/tests/support/server.mjs [--tls CERT KEY] [--parser json|msgpack]
//     [--per-message-deflate]
//
// `socket.io` is resolved from SOCKEYE_NODE_MODULES (a folder holding node_modules/) when set,
// else from the repository root.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = process.env.SOCKEYE_NODE_MODULES ?? path.resolve(fileURLToPath(import.meta.url), "../../../..");
const require = createRequire(path.join(root, "package.json"));
const { Server } = require("socket.io");

let tls;
let parser;
let perMessageDeflate = false;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === "--tls") {
    tls = { cert: readFileSync(process.argv[++i]), key: readFileSync(process.argv[++i]) };
  } else if (arg === "--parser") {
    const name = process.argv[++i];
    if (name === "msgpack") parser = require("socket.io-msgpack-parser");
    else if (name !== "json") throw new Error(`unknown parser: ${name}`);
  } else if (arg === "--per-message-deflate") {
    perMessageDeflate = true;
  } else {
    throw new Error(`unknown option: ${arg}`);
  }
}

const options = {
  cors: { origin: true, credentials: true },
  pingInterval: 2000,
  pingTimeout: 2000,
  perMessageDeflate,
  ...(parser && { parser }),
};
const createServer = () => (tls ? createHttps(tls) : createHttp());
const http = createServer();
const io = new Server(http, options);
const recoveryHttp = createServer();
const recoveryIo = new Server(recoveryHttp, { ...options, connectionStateRecovery: {} });

// What each client (by its auth `name`) emitted as "record", in arrival order.
const records = new Map();
// How many times each "flaky" key arrived.
const deliveries = new Map();

function handlers(socket) {
  const nsp = socket.nsp.name;
  socket.on("whoami", (ack) =>
    ack({
      id: socket.id,
      nsp,
      engine: socket.conn.id,
      transport: socket.conn.transport.name,
      auth: socket.handshake.auth,
      query: socket.handshake.query,
      recovered: socket.recovered,
    }),
  );
  // Acknowledges with the arguments, or emits them back as "echo".
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
    else socket.emit("echo", ...args);
  });
  socket.on("record", (value) => {
    const name = socket.handshake.auth.name ?? "";
    if (!records.has(name)) records.set(name, []);
    records.get(name).push(value);
  });
  socket.on("records", (name, ack) => ack(records.get(name) ?? []));
  // Acknowledges only the second delivery of each `key` (the client's retries resend it).
  socket.on("flaky", (key, ack) => {
    const seen = (deliveries.get(key) ?? 0) + 1;
    deliveries.set(key, seen);
    if (seen >= 2) ack(seen);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack([...socket.rooms].sort());
  });
  // to-room(room, event, ...args, ack): to the room's sockets but this one.
  socket.on("to-room", (room, event, ...args) => {
    const ack = args.pop();
    socket.to(room).emit(event, ...args);
    ack(true);
  });
  // Asks the client a question (an event with an ack), then acknowledges with its answer.
  socket.on("ask", async (question, ack) => {
    try {
      const answer = await socket.timeout(5000).emitWithAck("question", question);
      ack({ answer });
    } catch (err) {
      ack({ error: String(err) });
    }
  });
  // Sends binary the other way: nested in an object, and as a top-level argument.
  socket.on("binary", (ack) => {
    socket.emit("binary", { bytes: Buffer.from([1, 2, 3]), nested: [Buffer.from([4])] }, Buffer.from([5, 6]));
    ack("sent");
  });
  // Closes the Engine.IO connection under every namespace: the client sees "transport close" and
  // reconnects.
  socket.on("drop", () => socket.conn.close());
  // Drops the transport, then, while the client is away, emits `missed` 1 and 2 to it: kept for
  // it by connection state recovery.
  socket.on("drop-transport", () => {
    socket.once("disconnect", () => {
      socket.nsp.to(socket.id).emit("missed", 1);
      socket.nsp.to(socket.id).emit("missed", 2);
    });
    socket.conn.close();
  });
  // Disconnects this namespace socket: "io server disconnect", no reconnection.
  socket.on("kick", () => socket.disconnect());
}

function refuseBadTokens(socket, next) {
  const { token } = socket.handshake.auth;
  if (token === "bad") {
    const err = new Error("unauthorized");
    err.data = { reason: "bad token" };
    return next(err);
  }
  next();
}
for (const server of [io, recoveryIo]) {
  server.use(refuseBadTokens);
  server.on("connection", handlers);
  server.of("/a").on("connection", handlers);
  server.of("/b").on("connection", handlers);
}

http.listen(0, "127.0.0.1", () => {
  recoveryHttp.listen(0, "127.0.0.1", () => {
    console.log(`PORT ${http.address().port}`);
    console.log(`RECOVERY_PORT ${recoveryHttp.address().port}`);
  });
});

const stop = () => {
  io.close();
  recoveryIo.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, 10 * 60 * 1000).unref();
