// The echo benchmark's page and the HTTP server that serves it, shared by bench-browser.mjs (which
// times it) and profile-browser.mjs (which profiles it).

import http from "node:http";
import fs from "node:fs";
import path from "node:path";

// Loads the client `module`, then exposes `connect(url)` and `loop(n, windowSize)`, which sends n
// acknowledged emits with windowSize in flight and resolves with the loop's wall time in ms.
const page = (module) => `<!doctype html><meta charset="utf-8"><script type="module">
import { io } from "${module}";
window.connect = (url) => new Promise((resolve, reject) => {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  socket.once("connect", () => resolve(window.socket = socket));
  socket.once("connect_error", (e) => reject(String(e)));
});
window.loop = (n, windowSize) => new Promise((resolve) => {
  const socket = window.socket;
  const payload = { text: "hello", n: 0, list: [1, 2, 3] };
  let sent = 0, done = 0;
  const start = performance.now();
  const next = () => {
    payload.n = sent++;
    socket.emit("echo", payload, onAck);
  };
  const onAck = () => {
    if (++done === n) return resolve(performance.now() - start);
    if (sent < n) next();
  };
  for (let i = 0; i < Math.min(windowSize, n); i++) next();
});
window.ready = true;
</script>`;

const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/**
 * Serves `/page.html?client=NAME` (the page loading `moduleOf(NAME)`) and the files of each folder
 * of `folders` (URL prefix -> folder) on 127.0.0.1, on a free port.
 */
export async function servePage(moduleOf, folders) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/page.html") {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end(page(moduleOf(url.searchParams.get("client"))));
    }
    for (const [prefix, dir] of Object.entries(folders)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = path.join(dir, path.basename(url.pathname));
      if (!fs.existsSync(file)) break;
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
      return fs.createReadStream(file).pipe(res);
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
