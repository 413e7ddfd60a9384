// The official `socket.io` 4.8 server with the handlers of native-server/examples/interop.rs, its
// twin: the tests that hold both servers to the same expectations start one or the other
// (tests/interop/: the raw wire and bad input; tests/browser/: the npm package in Chromium). It
// takes the same flags as that example and, like it, prints `listening on http://ADDR`, serves
// `GET /stats` (`{"clients":N,"sockets":M}`), serves `--www DIR` at `/` and `--client-dir DIR` at
// `/sockeye/` (a page and the npm package, from the server's own origin) and, with
// `--exit-with-stdin`, exits when its standard input closes. A process of its own: its engine
// keeps timers (a polling session's close timeout) that would keep a test process alive.
//
//   node tests/support/reference-server.mjs [--port 0] [--recovery] [--ping-interval MS]
//        [--ping-timeout MS] [--connect-timeout MS] [--exit-with-stdin] [--www DIR] [--client-dir DIR]
//        [--per-message-deflate] [--parser msgpack]
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { Server } from "socket.io";

const options = {};
let port = 0;
let www;
let clientDir;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  const value = () => {
    const v = process.argv[++i];
    if (v === undefined) throw new Error(`${arg} needs a value`);
    return v;
  };
  if (arg === "--port") port = Number(value());
  else if (arg === "--recovery") options.connectionStateRecovery = {};
  else if (arg === "--per-message-deflate") options.perMessageDeflate = true;
  else if (arg === "--parser") {
    // socket.io-msgpack-parser 3.0.2, as the example's `--parser msgpack`.
    const name = value();
    if (name === "msgpack") options.parser = createRequire(import.meta.url)("socket.io-msgpack-parser");
    else if (name !== "json") throw new Error(`unknown parser: ${name} (json or msgpack)`);
  }
  else if (arg === "--ping-interval") options.pingInterval = Number(value());
  else if (arg === "--ping-timeout") options.pingTimeout = Number(value());
  else if (arg === "--connect-timeout") options.connectTimeout = Number(value());
  else if (arg === "--www") www = path.resolve(value());
  else if (arg === "--client-dir") clientDir = path.resolve(value());
  else if (arg === "--exit-with-stdin") {
    process.stdin.on("end", () => process.exit(0)).on("close", () => process.exit(0)).resume();
  } else throw new Error(`unknown option: ${arg}`);
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

/** The file `urlPath` names under `root` (after `prefix`), or nothing. */
function file(root, prefix, urlPath) {
  if (!root || !urlPath.startsWith(prefix)) return undefined;
  let f = path.join(root, decodeURIComponent(urlPath.slice(prefix.length)));
  if (!f.startsWith(root + path.sep) && f !== root) return undefined;
  if (existsSync(f) && statSync(f).isDirectory()) f = path.join(f, "index.html");
  return existsSync(f) ? f : undefined;
}

const http = createServer((req, res) => {
  const urlPath = new URL(req.url, "http://x").pathname;
  if (urlPath === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ clients: io.engine.clientsCount, sockets: io.of("/").sockets.size }));
    return;
  }
  const f = file(clientDir, "/sockeye/", urlPath) ?? file(www, "/", urlPath);
  if (!f) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(f)] ?? "application/octet-stream" });
  res.end(readFileSync(f));
});
const io = new Server(http, options);

// As the example's TRIES: deliveries of each `flaky` key, across sockets.
const tries = new Map();

/** The last argument when it is a function (the client asked for an ack). */
function split(args) {
  const ack = typeof args.at(-1) === "function" ? args.pop() : () => {};
  return [args, ack];
}

function handlers(socket) {
  const nsp = socket.nsp;
  socket.on("whoami", (...got) => {
    const [, ack] = split(got);
    ack({
      id: socket.id,
      nsp: nsp.name,
      auth: socket.handshake.auth,
      engineId: socket.conn.id,
      transport: socket.conn.transport.name,
      recovered: socket.recovered,
      data: socket.data,
      rooms: [...socket.rooms].sort(),
    });
  });
  socket.on("echo", (...got) => {
    const [args] = split(got);
    socket.emit("echo", ...args);
  });
  socket.on("echo-ack", (...got) => {
    const [args, ack] = split(got);
    ack(...args);
  });
  socket.on("ask", (...got) => {
    const [[event, ...args], ack] = split(got);
    socket.timeout(5000).emit(event, ...args, (err, ...answer) =>
      ack(err ? { error: err.message } : { answer }),
    );
  });
  socket.on("flaky", (...got) => {
    const [[key, n = 1], ack] = split(got);
    const count = (tries.get(key) ?? 0) + 1;
    tries.set(key, count);
    if (count >= n) ack(count);
  });
  socket.on("tries", (...got) => {
    const [[key], ack] = split(got);
    ack(tries.get(key) ?? 0);
  });
  socket.on("join", (...got) => {
    const [[room], ack] = split(got);
    socket.join(room);
    ack([...socket.rooms].sort());
  });
  socket.on("leave", (...got) => {
    const [[room], ack] = split(got);
    socket.leave(room);
    ack(null);
  });
  socket.on("to-room", (...got) => {
    const [[room, event, ...args], ack] = split(got);
    socket.to(room).emit(event, ...args);
    ack(true);
  });
  socket.on("io-to-room", (...got) => {
    const [[room, event, ...args], ack] = split(got);
    nsp.to(room).emit(event, ...args);
    ack(true);
  });
  socket.on("broadcast", (...got) => {
    const [[event, ...args], ack] = split(got);
    socket.broadcast.emit(event, ...args);
    ack(true);
  });
  socket.on("volatile", (...got) => {
    const [[event, ...args], ack] = split(got);
    socket.volatile.emit(event, ...args);
    ack(true);
  });
  socket.on("disconnect-me", () => socket.disconnect());
  socket.on("close-me", () => socket.disconnect(true));
  // As the example: drop the transport, then emit while the client is cut off.
  socket.on("drop-transport", () => {
    const id = socket.id;
    socket.once("disconnect", () => {
      nsp.to(id).emit("missed", 1);
      nsp.to(id).volatile.emit("missed", 0);
      nsp.to(id).emit("missed", 2);
      nsp.emit("missed", 3);
    });
    socket.conn.close();
  });
}

io.use((socket, next) => {
  const { reject } = socket.handshake.auth ?? {};
  if (reject !== undefined) {
    const err = new Error("refused by middleware");
    err.data = { code: 4001, reason: reject };
    return next(err);
  }
  socket.data = { trail: ["first"] };
  next();
});
io.use((socket, next) => {
  socket.data.trail?.push("second");
  next();
});
io.of("/admin").use((socket, next) =>
  next(socket.handshake.auth?.admin === true ? undefined : new Error("admins only")),
);
for (const name of ["/", "/admin", "/chat"]) io.of(name).on("connection", handlers);

http.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
