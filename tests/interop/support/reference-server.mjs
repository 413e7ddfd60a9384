// The reference server (the official `socket.io` package) for the tests that hold both servers
// to the same expectations, in a process of its own: its engine keeps timers (a polling session's
// 30 s close timeout) that would keep a test process alive. Options come as one JSON argument;
// prints `listening on http://ADDR`; serves `GET /stats` (`{"clients":N}`) as the interop example
// does; exits when its standard input closes.
import { createServer } from "node:http";
import { Server } from "socket.io";

const options = JSON.parse(process.argv[2] ?? "{}");
const http = createServer((req, res) => {
  if (req.url === "/stats") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ clients: io.engine.clientsCount }));
  }
});
const io = new Server(http, options);
const handlers = (socket) => {
  socket.on("echo-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
};
io.on("connection", handlers);
io.of("/chat").on("connection", handlers);
http.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
