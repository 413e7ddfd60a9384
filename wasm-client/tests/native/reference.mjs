// The official `socket.io` 4.8 server for the native client's tests (wasm-client/tests/native.rs),
// with the same handlers as that file's in-process sockeye-server: binds 127.0.0.1 on two free
// ports, the second with connection state recovery, prints `PORT <n>` and `RECOVERY_PORT <m>`,
// and exits when its standard input closes (the test process went away) or after ten minutes.
//
//   node wasm-client/tests/native/reference.mjs [--tls CERT KEY] [--parser json|msgpack]
//     [--per-message-deflate]
import { readFileSync } from "node:fs";
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

let tls;
let parser;
let perMessageDeflate = false;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--tls") {
    tls = { cert: readFileSync(process.argv[++i]), key: readFileSync(process.argv[++i]) };
  } else if (process.argv[i] === "--per-message-deflate") {
    perMessageDeflate = true;
  } else if (process.argv[i] === "--parser") {
    const name = process.argv[++i];
    if (name === "msgpack") parser = msgpackParser;
    else if (name !== "json") throw new Error(`unknown parser: ${name}`);
  } else {
    throw new Error(`unknown option: ${process.argv[i]}`);
  }
}

function handlers(socket) {
  // As the protocol test suite's server: `auth` on connection, `message-with-ack` acknowledged
  // with its arguments.
  socket.emit("auth", socket.handshake.auth);
  socket.on("message-with-ack", (...args) => args.pop()(...args));
  // Acknowledges with the arguments, or emits them back as "echo".
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
    else socket.emit("echo", ...args);
  });
  socket.on("whoami", (ack) => ack({ nsp: socket.nsp.name, transport: socket.conn.transport.name }));
  // Asks the client a question (an event with an ack), then acknowledges with its answer.
  socket.on("ask", async (question, ack) => {
    try {
      ack({ answer: await socket.timeout(5000).emitWithAck("question", question) });
    } catch (err) {
      ack({ error: String(err) });
    }
  });
  // Sends binary the other way: nested in an object, and as a top-level argument.
  socket.on("binary", (ack) => {
    socket.emit("binary", { bytes: Buffer.from([1, 2, 3]) }, Buffer.from([5, 6]));
    ack("sent");
  });
  // Closes the Engine.IO connection: the client sees "transport close" and reconnects.
  socket.on("drop", () => socket.conn.close());
  // Drops the transport, then emits `missed` 1 and 2 while the client is away: kept for it by
  // connection state recovery.
  socket.on("drop-transport", () => {
    socket.once("disconnect", () => {
      socket.nsp.to(socket.id).emit("missed", 1);
      socket.nsp.to(socket.id).emit("missed", 2);
    });
    socket.conn.close();
  });
}

const make = () => (tls ? createHttps(tls) : createHttp());
const options = { pingInterval: 2000, pingTimeout: 2000, perMessageDeflate, ...(parser && { parser }) };
const http = make();
const io = new Server(http, options);
const recoveryHttp = make();
const recoveryIo = new Server(recoveryHttp, { ...options, connectionStateRecovery: {} });
for (const server of [io, recoveryIo]) {
  server.on("connection", handlers);
  server.of("/a").on("connection", handlers);
}

http.listen(0, "127.0.0.1", () => {
  recoveryHttp.listen(0, "127.0.0.1", () => {
    console.log(`PORT ${http.address().port}`);
    console.log(`RECOVERY_PORT ${recoveryHttp.address().port}`);
  });
});

const stop = () => process.exit(0);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, 10 * 60 * 1000).unref();
