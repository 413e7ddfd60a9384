// The Node twin of `cargo run -p sockeye-server --example cluster`: a socket.io 4.8 node with a
// Redis adapter and the same `/` handlers, so that a cluster can mix both.
//
//   node tests/cluster/node-server.mjs --port P --redis URL [--adapter pubsub|sharded|streams]
//        [--parser json|msgpack]
//
// `--parser msgpack` is socket.io-msgpack-parser 3.0.2 towards the clients, as the example's.
// Prints `listening on http://ADDR` once bound; exits when its standard input closes.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const port = Number(arg("--port", "0"));
const url = arg("--redis", "redis://127.0.0.1:6379");
const kind = arg("--adapter", "pubsub");
const parserName = arg("--parser", "json");
if (parserName !== "json" && parserName !== "msgpack") {
  throw new Error(`unknown parser: ${parserName} (json or msgpack)`);
}
const parser = parserName === "msgpack" ? createRequire(import.meta.url)("socket.io-msgpack-parser") : undefined;

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));

const pub = createClient({ url });
pub.on("error", () => {});
await pub.connect();
let adapter;
let recovery;
if (kind === "streams") {
  adapter = createStreamsAdapter(pub);
  recovery = { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true };
} else {
  const sub = pub.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  adapter = kind === "sharded" ? createShardedAdapter(pub, sub) : createAdapter(pub, sub);
}

const http = createServer();
const io = new Server(http, { adapter, connectionStateRecovery: recovery, ...(parser && { parser }) });

io.of("/").on("hello", (payload) => io.local.emit("node-hello", payload));
io.of("/").on("ping", (cb) => cb("pong from node"));
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.("ok");
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack?.("ok");
  });
  socket.on("to-room", (room, payload) => io.to(room).emit("room-msg", payload));
  socket.on("count", async (ack) => {
    try {
      ack((await io.fetchSockets()).length);
    } catch (e) {
      ack(`error: ${e.message}`);
    }
  });
  socket.on("all-rooms", async (ack) => {
    try {
      // The ClusterAdapter (sharded, streams) has no allRooms(): the rooms of every socket.
      const adapter = io.of("/").adapter;
      const rooms = adapter.allRooms
        ? await adapter.allRooms()
        : new Set([...adapter.rooms.keys(), ...(await io.fetchSockets()).flatMap((s) => [...s.rooms])]);
      ack([...rooms].sort());
    } catch (e) {
      ack(`error: ${e.message}`);
    }
  });
  socket.on("server-side", (payload) => io.serverSideEmit("hello", payload));
  socket.on("ask-all", (ack) => {
    io.timeout(2000).emit("question", (err, answers) => ack(answers));
  });
  socket.on("kick", (room) => io.in(room).disconnectSockets());
  socket.on("remote-join", (room, target, ack) => {
    io.in(target).socketsJoin(room);
    ack?.("ok");
  });
  socket.on("ping-nodes", async (ack) => {
    try {
      ack(await io.serverSideEmitWithAck("ping"));
    } catch (e) {
      ack(`error: ${e.message}`);
    }
  });
  socket.on("remote-leave", (room, target, ack) => {
    io.in(target).socketsLeave(room);
    ack?.("ok");
  });
});

http.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
