// The measurement behind scripts/bench-cluster.sh: for each kind of cluster (two Sockeye nodes,
// two Node nodes) and each offered rate, CLIENTS socket.io-client clients on each node join one
// room; a sender on node A emits `to-room` RATE times a second with its send time; the clients
// on node B (every delivery crossed Redis) record each event's latency. Reports cross-node
// deliveries per second, p50/p99 latency and lost deliveries.
import path from "node:path";
import { createRequire } from "node:module";
import { createClient } from "redis";
import { client, eventually, sleep, startNode, startRedis, startSockeye } from "../../tests/cluster/support.mjs";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, machineLine, fmt } = require(path.resolve("scripts/lib/benchmarks.cjs"));

const CLIENTS = Number(process.env.CLIENTS ?? 10);
const RATES = (process.env.RATES ?? "500,2000,5000").split(",").map(Number);
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = 2;

const quiet = { RUST_LOG: "error" };

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function run(redis, kind, rate) {
  const start = kind === "Sockeye" ? (url) => startSockeye(url, { env: quiet }) : (url) => startNode(url);
  const a = await start(redis.url);
  const b = await start(redis.url);
  const sockets = [];
  try {
    const probe = createClient({ url: redis.url });
    await probe.connect();
    await eventually(async () => (await probe.pubSubNumSub("socket.io-request#/#"))["socket.io-request#/#"] === 2);
    await probe.quit();
    const receivers = [];
    for (const node of [a, b]) {
      for (let i = 0; i < CLIENTS; i++) {
        const s = await client(node);
        await s.timeout(5000).emitWithAck("join", "bench");
        sockets.push(s);
        if (node === b) receivers.push(s);
      }
    }
    const sender = await client(a);
    sockets.push(sender);
    let measuring = false;
    let sentMeasured = 0;
    const latencies = [];
    let received = 0;
    for (const s of receivers) {
      s.on("room-msg", (msg) => {
        if (!msg.m) return;
        received++;
        latencies.push(performance.now() - msg.t);
      });
    }
    // RATE broadcasts a second, in 100 ticks of 10 ms.
    let carry = 0;
    const timer = setInterval(() => {
      carry += rate / 100;
      while (carry >= 1) {
        carry -= 1;
        sender.emit("to-room", "bench", { t: performance.now(), m: measuring });
        if (measuring) sentMeasured++;
      }
    }, 10);
    await sleep(WARMUP * 1000);
    measuring = true;
    const t0 = performance.now();
    await sleep(DURATION * 1000);
    measuring = false;
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(timer);
    // Late deliveries still count (and show in the latency).
    const expected = sentMeasured * CLIENTS;
    for (let i = 0; i < 50 && received < expected; i++) await sleep(100);
    latencies.sort((x, y) => x - y);
    return {
      kind,
      rate,
      sent: sentMeasured,
      deliveriesPerSec: received / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      lost: Math.max(0, expected - received),
    };
  } finally {
    for (const s of sockets) s.disconnect();
    await a.stop();
    await b.stop();
  }
}

// After the builds, right before the runs: a quiet machine (see benchmarks.cjs).
await quietStart();
const redis = await startRedis();
const rows = [];
try {
  for (const rate of RATES) {
    for (const kind of ["Sockeye", "Node"]) {
      const r = await run(redis, kind, rate);
      console.log(
        `${kind} ${rate}/s: ${fmt(r.deliveriesPerSec)} deliveries/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, lost ${r.lost}`,
      );
      rows.push(r);
    }
  }
} finally {
  await redis.stop();
}

const section = [
  "## Cluster: cross-node broadcasts through Redis",
  "",
  "`scripts/bench-cluster.sh`: two server nodes and one redis-server, pub/sub adapter (`sockeye-redis`",
  "`RedisAdapter` on the Sockeye nodes, the release build of `native-server/examples/cluster.rs`;",
  "`@socket.io/redis-adapter` 8.3 on the socket.io 4.8 nodes, `tests/cluster/node-server.mjs`).",
  `${CLIENTS} socket.io-client clients (WebSocket) on each node join one room; a client on node A emits`,
  "`to-room` at the offered rate and its node broadcasts it to the room. The figures are what the",
  `clients on node B received (each delivery crossed Redis) in ${DURATION} s, after ${WARMUP} s of warm-up;`,
  "latency runs from the sender's emit to a receiver's event; clients, servers and Redis share the machine.",
  "",
  "| nodes | offered broadcasts/s | cross-node deliveries/s | p50 latency | p99 latency | lost |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.kind} | ${fmt(r.rate)} | ${fmt(r.deliveriesPerSec)} | ${fmt(r.p50, 1)} ms | ${fmt(r.p99, 1)} ms | ${fmt(r.lost)} |`,
  ),
  "",
  machineLine({ node: true }),
].join("\n");
if (writeSection(section)) console.log("BENCHMARKS.md: ## Cluster: cross-node broadcasts through Redis rewritten");
if (rows.some((r) => r.lost > 0)) {
  console.error("deliveries were lost");
  process.exit(1);
}
