// The echo benchmark's page, shared by bench-browser.mjs (which times it) and profile-browser.mjs
// (which profiles it): loads the client `module`, then exposes `connect(url)` and
// `loop(n, windowSize)`, which sends n acknowledged emits with windowSize in flight and resolves
// with the loop's wall time in milliseconds.

export const page = (module) => `<!doctype html><meta charset="utf-8"><script type="module">
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
