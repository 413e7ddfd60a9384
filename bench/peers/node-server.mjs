// The reference peer of scripts/bench-load-compare.sh: socket.io 4.8 on Node.js (the exact
// devDependency in package.json), default options, the handlers every benchmark server has on `/`
// (see native-server/examples/bench.rs):
//   echo-ack(...args, cb)            cb(...args)
//   join(room, cb)                   socket.join(room); cb()
//   to-room(room, event, ...args, cb) socket.to(room).emit(event, ...args); cb(true)
// Usage: node bench/peers/node-server.mjs [--port 0] [--exit-with-stdin] [--parser msgpack]
// (`--parser msgpack`: socket.io-msgpack-parser, as sockeye-load's and bench.rs's flag of that name)
// Prints `listening on http://ADDR` once bound.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { Server } from "socket.io";

const argv = process.argv.slice(2);
let port = 3000;
const options = {};
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--port") port = Number(argv[++i]);
  else if (argv[i] === "--parser" && argv[i + 1] === "msgpack") {
    i++;
    options.parser = createRequire(import.meta.url)("socket.io-msgpack-parser");
  } else if (argv[i] === "--parser" && argv[i + 1] === "json") i++;
  else if (argv[i] === "--exit-with-stdin") {
    process.stdin.on("end", () => process.exit(0)).on("close", () => process.exit(0)).resume();
  } else {
    console.error(`node-server: unknown option: ${argv[i]}`);
    process.exit(2);
  }
}

const httpServer = createServer();
const io = new Server(httpServer, options);
io.on("connection", (socket) => {
  socket.on("echo-ack", (...args) => {
    const cb = args.pop();
    if (typeof cb === "function") cb(...args);
  });
  socket.on("join", (room, cb) => {
    socket.join(String(room));
    if (typeof cb === "function") cb();
  });
  socket.on("to-room", (room, event, ...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    socket.to(String(room)).emit(String(event), ...args);
    if (cb) cb(true);
  });
});
httpServer.listen(port, "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  console.log(`listening on http://${address}:${port}`);
});
