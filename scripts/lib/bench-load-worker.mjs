// One load process of scripts/bench-load.sh (forked by bench-load.mjs): CLIENTS official
// socket.io-client sockets over WebSocket; once all are connected it says `ready`, and on `go`
// each emits `echo-ack` and waits for the ack before the next, for DURATION ms. Then it reports
// its counts and a latency histogram (0.1 ms buckets) and exits.
import { io } from "socket.io-client";

const { url, clients, duration } = JSON.parse(process.argv[2]);
const ACK_TIMEOUT = 10_000;

const counts = { acks: 0, ackTimeouts: 0, disconnects: 0, connectErrors: 0 };
const histogram = new Map();
const sockets = [];

async function connectOne() {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  socket.on("disconnect", () => counts.disconnects++);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (e) => {
      counts.connectErrors++;
      reject(e);
    });
  });
  sockets.push(socket);
}

// Connect in waves, so that the handshakes do not all time out at once on a busy machine.
for (let i = 0; i < clients; i += 50) {
  const wave = Array.from({ length: Math.min(50, clients - i) }, connectOne);
  await Promise.allSettled(wave);
}
process.send({ ready: sockets.length, connectErrors: counts.connectErrors });

await new Promise((resolve) => process.once("message", resolve));
const started = performance.now();
const end = started + duration;
const payload = { text: "hello", list: [1, 2, 3] };

async function loop(socket, n) {
  for (let i = 0; performance.now() < end; i++) {
    if (!socket.connected) return;
    const sent = performance.now();
    try {
      const back = await socket.timeout(ACK_TIMEOUT).emitWithAck("echo-ack", n, i, payload);
      if (back !== n) throw new Error("a wrong ack");
      counts.acks++;
      const bucket = Math.floor((performance.now() - sent) * 10);
      histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
    } catch {
      counts.ackTimeouts++;
    }
  }
}
await Promise.all(sockets.map(loop));
const elapsed = performance.now() - started;
const disconnectsDuringRun = counts.disconnects;
for (const socket of sockets) socket.disconnect();
process.send({ ...counts, disconnects: disconnectsDuringRun, elapsed, histogram: [...histogram] });
process.disconnect();
