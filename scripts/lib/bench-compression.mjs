// The program behind scripts/bench-compression.sh (which builds what this runs and passes the
// paths in SOCKEYE_BENCH_SERVER and SOCKEYE_LOAD). For every payload and variant, REPS runs, each
// against a fresh server on core 0 with the generator on core 1. The generator counts the bytes
// its connections read and write over its measured window (TCP payload: HTTP heads and bodies,
// WebSocket frames; loadgen/src/wire.rs) and reads the server's CPU time (/proc/PID/stat) at the
// window's start and end; both are divided by the acks of the window. Writes the
// `## Server: compression, bytes and CPU per message` section of BENCHMARKS.md.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import { GENERATOR_CORE, SERVER_CORE, runGenerator, sleep, startPinnedServer } from "./pinned.mjs";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, loadAverage, machineLine, fmt } = require("./benchmarks.cjs");

const DURATION = Number(process.env.DURATION ?? 10);
const REPS = Number(process.env.REPS ?? 3);
const CLIENTS = Number(process.env.CLIENTS ?? 100);
const SERVER = process.env.SOCKEYE_BENCH_SERVER;
const LOAD = process.env.SOCKEYE_LOAD;

/**
 * What is compared: each variant is a transport and the flags that turn a feature on, for the
 * server (native-server/examples/bench.rs) and for the generator. A row per variant and payload.
 */
const VARIANTS = {
  polling: {
    label: "long-polling",
    transport: "polling",
    server: ["--no-http-compression"],
    load: [],
  },
  "polling+http": {
    label: "long-polling, HTTP compression (gzip, from 1,024 bytes)",
    transport: "polling",
    server: [],
    load: [],
  },
  websocket: {
    label: "WebSocket",
    transport: "websocket",
    server: [],
    load: [],
  },
  "websocket+msgpack": {
    label: "WebSocket, MessagePack parser",
    transport: "websocket",
    server: ["--parser", "msgpack"],
    load: ["--parser", "msgpack"],
  },
  "polling+msgpack": {
    label: "long-polling, MessagePack parser, HTTP compression",
    transport: "polling",
    server: ["--parser", "msgpack"],
    load: ["--parser", "msgpack"],
  },
  "websocket+deflate": {
    label: "WebSocket, permessage-deflate (from 1,024 bytes)",
    transport: "websocket",
    server: ["--per-message-deflate"],
    load: ["--per-message-deflate"],
  },
};

/** The payloads: the `echo-ack` argument, by the generator's `--payload-bytes`. */
const PAYLOADS = {
  g1: { label: "G1 payload", what: "G1's `{\"n\":…,\"text\":\"sockeye load generator\"}`", bytes: 0 },
  "10kb": {
    label: "10 KB JSON",
    what: "a 10 KB JSON object (`--payload-bytes 10000`: generated feed records, about 4.5 to 1 under gzip)",
    bytes: 10_000,
  },
};

const variantNames = (process.env.VARIANTS ?? "polling polling+http polling+msgpack websocket websocket+msgpack websocket+deflate").split(/\s+/).filter(Boolean);
const payloadNames = (process.env.PAYLOADS ?? "g1 10kb").split(/\s+/).filter(Boolean);
for (const v of variantNames) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(", ")})`);
for (const p of payloadNames) if (!PAYLOADS[p]) throw new Error(`unknown payload ${p} (${Object.keys(PAYLOADS).join(", ")})`);
if (!SERVER || !LOAD) throw new Error("SOCKEYE_BENCH_SERVER and SOCKEYE_LOAD: run scripts/bench-compression.sh");

const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-compression-"));

/** Starts the bench server with `args`, pinned to the server core: { url, pid, stop }. */
const startServer = (args) => startPinnedServer([SERVER, ...args]);

/** Runs the generator pinned to its core; resolves with its JSON summary. */
const generator = (args) => runGenerator(LOAD, tmp, args);

/** One run: the figures per ack. */
async function runOnce(variant, payload) {
  const server = await startServer(variant.server);
  try {
    await sleep(300);
    const s = await generator([
      "--workload", "g1",
      "--transport", variant.transport,
      "--clients", CLIENTS,
      "--payload-bytes", payload.bytes,
      "--url", server.url,
      "--server-pid", server.pid,
      "--duration", DURATION,
      ...variant.load,
    ]);
    const acks = Math.max(1, s.count);
    return {
      acks: s.count,
      rate: s.rate,
      errors: s.errors,
      received: s.wire_received / acks,
      sent: s.wire_sent / acks,
      cpuUs: s.server_cpu_s == null ? null : (s.server_cpu_s / acks) * 1e6,
      serverShare: s.server_cpu_s == null ? null : s.server_cpu_s / s.window_s,
      saturated: s.generator_saturated,
      p99: s.latency.p99_ms,
    };
  } finally {
    await server.stop();
  }
}

const median = (xs) => {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// After the builds, right before the runs: a quiet machine (see benchmarks.cjs).
const loadBefore = await quietStart();
const started = Date.now();
const results = {}; // results[payload][variant] = [runs]
for (const p of payloadNames) {
  results[p] = {};
  for (const v of variantNames) results[p][v] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of variantNames) {
      const r = await runOnce(VARIANTS[v], PAYLOADS[p]);
      results[p][v].push(r);
      console.error(
        `${p} ${v} rep ${rep + 1}: ${fmt(r.received + r.sent)} bytes per ack (${fmt(r.received)} received, ` +
          `${fmt(r.sent)} sent); server CPU ${r.cpuUs == null ? "-" : fmt(r.cpuUs, 1)} µs per ack; ` +
          `${fmt(r.rate)} acks/s; errors ${r.errors}${r.saturated ? "; generator saturated" : ""}`,
      );
    }
  }
}
const loadAfter = loadAverage();
const elapsed = (Date.now() - started) / 1000;
rmSync(tmp, { recursive: true, force: true });

// ---- The section ----

const lines = [];
const L = (s = "") => lines.push(s);
L("## Server: compression, bytes and CPU per message");
L();
L(
  "Generated by `scripts/bench-compression.sh`: the load generator `sockeye-load` (its HTTP client sends " +
    "`Accept-Encoding: gzip, deflate` and decodes, as a browser does) with " +
    `${fmt(CLIENTS)} clients, each keeping one \`echo-ack\` emit-with-ack in flight, against the release build of ` +
    "`native-server/examples/bench.rs`, started fresh for each run " +
    `on core ${SERVER_CORE} (the generator on core ${GENERATOR_CORE}). Each run measures a ${DURATION} s window after ` +
    "the clients connected and a 1 s warm-up. Per ack (one event to the server and its acknowledgement back): " +
    "the bytes the clients' connections received and sent (TCP payload: HTTP heads and bodies, WebSocket frames " +
    "with their headers; not IP and TCP headers) and the server's CPU time (utime + stime of /proc/PID/stat). " +
    `Medians of ${REPS} run${REPS === 1 ? "" : "s"}; a run marked † had the generator at 90% or more of its core.`,
);
L();
L(
  "HTTP compression applies to the server's long-polling responses only (a POST's body is the client's to " +
    "compress, and neither browsers nor socket.io-client do), from 1,024 bytes as the reference's default: a G1 " +
    "ack is far below it, so its row measures that nothing is paid when nothing is compressed.",
);
L();
L(
  "permessage-deflate compresses both ways (the generator offers it as socket.io-client does under Node, " +
    "from 1,024 bytes), and both ends keep their DEFLATE window from message to message (context takeover, " +
    "the default): the generator sends the same 10 KB object with every emit (only `n` differs), so each " +
    "message after the first is mostly a reference to the one before, and its row shows the best case of a " +
    "repetitive stream, not the ratio of one message on its own (that is about gzip's, the HTTP compression " +
    "row's). Its CPU is the server's inflating and compressing with miniz_oxide at level 6.",
);
for (const p of payloadNames) {
  L();
  L(`### ${PAYLOADS[p].label}`);
  L();
  L(`The \`echo-ack\` argument is ${PAYLOADS[p].what}.`);
  L();
  L("| variant | bytes per ack | received (server to clients) | sent (clients to server) | server CPU µs per ack | acks/s | p99 ms | errors |");
  L("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const v of variantNames) {
    const runs = results[p][v];
    const m = (k) => median(runs.map((r) => r[k]));
    const sat = runs.some((r) => r.saturated) ? "†" : "";
    const errors = runs.reduce((a, r) => a + r.errors, 0);
    const cpu = m("cpuUs");
    L(
      `| ${VARIANTS[v].label}${sat} | ${fmt(m("received") + m("sent"))} | ${fmt(m("received"))} | ${fmt(m("sent"))} | ` +
        `${cpu == null ? "–" : fmt(cpu, 1)} | ${fmt(m("rate"))} | ${fmt(m("p99"), 2)} | ${fmt(errors)} |`,
    );
  }
}
L();
L(`The whole run took ${fmt(elapsed / 60, 1)} min.`);
L();
L(`${machineLine({ node: true })} ${fmt(os.totalmem() / 2 ** 30)} GiB of memory.`);
L();
L("```");
const env = [
  process.env.VARIANTS && `VARIANTS="${variantNames.join(" ")}"`,
  process.env.PAYLOADS && `PAYLOADS="${payloadNames.join(" ")}"`,
  CLIENTS !== 100 && `CLIENTS=${CLIENTS}`,
  DURATION !== 10 && `DURATION=${DURATION}`,
  REPS !== 3 && `REPS=${REPS}`,
].filter(Boolean);
L(`${env.length ? env.join(" ") + " " : ""}bash scripts/bench-compression.sh`);
L("```");
if (writeSection(lines.join("\n"), { load: { start: loadBefore, end: loadAfter } })) {
  console.error(`BENCHMARKS.md: compression section written (${fmt(elapsed, 0)} s)`);
}
