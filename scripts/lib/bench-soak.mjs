// The program behind scripts/bench-soak.sh: the at-least-once soak, twice. First one node of
// native-server/examples/soak.rs (SOCKEYE_SOAK_SERVER), then two nodes sharing rooms and
// connection state recovery through the Redis Streams adapter (a redis-server of its own on a
// free port). Each time `sockeye-soak` (SOCKEYE_SOAK) runs CLIENTS clients for DURATION seconds
// through its fault proxy, which alternates new connections between the nodes, stalls, resets
// and closes them; the nodes close transports at random too. Writes the `## Soak: at-least-once
// delivery` section of BENCHMARKS.md and exits 1 when a run fails its check.
//
// Whether the machine was contended: the CPU the rest of the machine used during each run
// (/proc/stat's busy time minus this script's process tree's), in cores.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { startProcess } from "../../tests/support/harness.mjs";
import { startRedis } from "../../tests/cluster/support.mjs";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, machineLine, fmt } = require("./benchmarks.cjs");

const SERVER = process.env.SOCKEYE_SOAK_SERVER;
const SOAK = process.env.SOCKEYE_SOAK;
const DURATION = Number(process.env.DURATION ?? 600);
const CLIENTS = Number(process.env.CLIENTS ?? 1000);
// `single`, `cluster` or both (comma-separated); the section is written only when both ran.
const MODES = (process.env.MODES ?? "single,cluster").split(",");
// The soak's heartbeat: a stall of a few seconds must outlast it (the defaults, 25 s + 20 s,
// would need stalls of 45 s).
const PING_INTERVAL = 5000;
const PING_TIMEOUT = 5000;
// Random server-side transport closes, one per CLOSE_MS across the cluster; proxy faults.
// S2C_MS: the emitter's interval (1000); a short one (10) stresses recovery (a broadcast that
// comes while a recovered socket is being accepted).
const CLOSE_MS = Number(process.env.CLOSE_MS ?? 1000);
const FAULT_MS = Number(process.env.FAULT_MS ?? 500);
const S2C_MS = Number(process.env.S2C_MS ?? 1000);
// The Redis stream's maxLen: the default (10,000) keeps 10 s of history at 1,000 broadcasts/s,
// less than a stall-and-ping-timeout disconnection lasts; this keeps the 2 minutes of
// maxDisconnectionDuration and then some.
const MAX_LEN = Number(process.env.MAX_LEN ?? 200_000);
const TICKS = 100; // USER_HZ

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Busy and total jiffies of the machine. */
function machineCpu() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU jiffies (user + system, children waited for included) of this process and its descendants. */
function treeCpu() {
  const procs = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
      procs.set(Number(name), { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {}
  }
  let sum = 0;
  for (const [pid, p] of procs) {
    for (let q = pid, hops = 0; q > 1 && hops < 64; q = procs.get(q)?.ppid ?? 0, hops++) {
      if (q === process.pid) {
        sum += p.cpu;
        break;
      }
    }
  }
  return sum;
}

async function soak(mode, nodes) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sockeye-soak-"));
  const json = path.join(dir, "summary.json");
  const args = [...nodes.flatMap((n) => ["--server", n.url]), "--clients", String(CLIENTS)];
  args.push("--duration", String(DURATION), "--fault-interval-ms", String(FAULT_MS));
  args.push("--heartbeat-ms", String(PING_INTERVAL + PING_TIMEOUT), "--json", json);
  console.error(`\n== ${mode}: sockeye-soak ${args.join(" ")}`);
  const m0 = machineCpu();
  const t0 = treeCpu();
  const loads = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]), 10_000);
  const child = spawn(SOAK, args, { stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise((resolve) => child.once("exit", (c, s) => resolve(c ?? s)));
  clearInterval(sampler);
  const m1 = machineCpu();
  const t1 = treeCpu();
  let summary = null;
  try {
    summary = JSON.parse(readFileSync(json, "utf8"));
  } catch (e) {
    console.error(`${mode}: no summary (${e.message}); sockeye-soak exited with ${code}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const cores = os.availableParallelism();
  const seconds = ((m1.total - m0.total) / cores) / TICKS;
  const others = Math.max(0, (m1.busy - m0.busy) - (t1 - t0)) / TICKS / seconds;
  const ours = (t1 - t0) / TICKS / seconds;
  return { mode, code, summary, others, ours, load: loads.length ? Math.max(...loads) : os.loadavg()[0] };
}

async function single() {
  const node = await startProcess(SERVER, [
    "--port", "0", "--emitter", "--clients", String(CLIENTS), "--close-interval-ms", String(CLOSE_MS),
    "--emit-interval-ms", String(S2C_MS),
    "--ping-interval-ms", String(PING_INTERVAL), "--ping-timeout-ms", String(PING_TIMEOUT), "--exit-with-stdin",
  ], { env: { ...process.env, RUST_LOG: "warn" } });
  try {
    return await soak("single", [node]);
  } finally {
    await node.stop().catch((e) => console.error(`node: ${e.message.slice(0, 2000)}`));
  }
}

async function cluster() {
  const redis = await startRedis();
  const nodes = [];
  try {
    for (const [i, extra] of [["1", ["--emitter"]], ["2", []]]) {
      nodes.push(await startProcess(SERVER, [
        "--port", "0", "--redis", redis.url, ...extra, "--seed", i, "--clients", String(CLIENTS),
        "--emit-interval-ms", String(S2C_MS), "--max-len", String(MAX_LEN),
        "--close-interval-ms", String(CLOSE_MS * 2), "--ping-interval-ms", String(PING_INTERVAL),
        "--ping-timeout-ms", String(PING_TIMEOUT), "--exit-with-stdin",
      ], { env: { ...process.env, RUST_LOG: "warn" } }));
    }
    // The adapters read their streams from now on: let both start before the clients come.
    await sleep(1000);
    return await soak("cluster", nodes);
  } finally {
    for (const n of nodes) await n.stop().catch((e) => console.error(`node: ${e.message.slice(0, 2000)}`));
    await redis.stop();
  }
}

// SOAK_REUSE=FILE (a SOAK_RESULTS file) supplies the runs of the modes not in MODES.
const reused = process.env.SOAK_REUSE ? JSON.parse(readFileSync(process.env.SOAK_REUSE, "utf8")) : [];
const runs = [];
// After the builds, right before the runs: a quiet machine (see benchmarks.cjs).
if (MODES.some((m) => m === "single" || m === "cluster")) await quietStart();
for (const [mode, run] of [["single", single], ["cluster", cluster]]) {
  if (MODES.includes(mode)) runs.push(await run());
  else if (reused.some((r) => r.mode === mode)) runs.push({ ...reused.find((r) => r.mode === mode), reused: true });
}

// SOAK_RESULTS=FILE keeps the runs' raw results.
if (process.env.SOAK_RESULTS) writeFileSync(process.env.SOAK_RESULTS, JSON.stringify(runs, null, 2));
const ok = (r) => r.code === 0 && r.summary?.pass === true;
for (const r of runs) console.error(`${r.mode}: ${ok(r) ? "PASS" : "FAIL"} (exit ${r.code}); other processes used ${r.others.toFixed(2)} cores`);

if (runs.length === 2) {
  const col = (f) => runs.map((r) => (r.summary ? f(r.summary, r) : "n/a"));
  const row = (name, f) => `| ${name} | ${col(f).join(" | ")} |`;
  const n = (x) => fmt(x);
  const contended = runs.some((r) => r.others >= 0.5);
  const lines = [
    "## Soak: at-least-once delivery",
    "",
    `Generated by \`scripts/bench-soak.sh\` (\`DURATION=${DURATION}\`, \`CLIENTS=${CLIENTS}\`): \`sockeye-soak\` (loadgen, the`,
    "core's client on tokio, WebSocket only, reconnecting with the reference's defaults) against",
    "`native-server/examples/soak.rs` with connection state recovery (its defaults: 2 min), through a",
    "fault proxy of its own that sends new connections to the nodes in turn and, every",
    `${FAULT_MS} ms, stalls (2-15 s, nothing forwarded), resets (RST) or closes (FIN) a random connection;`,
    `the nodes close a random transport (\`socket.conn.close()\`) every ${CLOSE_MS} ms between them. The`,
    `heartbeat is ${PING_INTERVAL / 1000} s + ${PING_TIMEOUT / 1000} s (instead of 25 s + 20 s) so that a stall of a few seconds times it out.`,
    `The two-node run sets the Redis stream's \`maxLen\` to ${fmt(MAX_LEN)} (default 10,000: about 10 s of history at`,
    "1,000 broadcasts/s, less than a stalled connection takes to time out, so such reconnections found",
    "their offset trimmed and could not be recovered).",
    "Client to server: each client emits `c2s(client, seq)` every second with `retries: 30`,",
    "`ackTimeout: 3000`; *lost* counts acked seqs missing from the nodes' record (which keeps every",
    "delivery, so *duplicates* counts the extra copies at-least-once delivered). Server to client: the",
    `emitter node broadcasts \`s2c(seq)\` to each client's room every ${S2C_MS} ms; *lost* counts the seqs a`,
    "client never saw between its first and the emitter's last that no unrecovered reconnection",
    "explains. Pass: nothing lost either way, nothing in the record that was never sent, every ack",
    "carrying its own seq, and every client settled (connected, all acked, all received) once the faults stop.",
    "",
    `| | one node | two nodes, Redis Streams adapter |`,
    `|---|---|---|`,
    row("result", (s, r) => (ok(r) ? "**PASS**" : "**FAIL**")),
    row("proxy faults: stalls (past the heartbeat) / resets / closes", (s) => `${n(s.proxy.stalls)} (${n(s.proxy.stalls_long)}) / ${n(s.proxy.resets)} / ${n(s.proxy.closes)}`),
    row("server transport closes", (s) => n(s.connections.server_closes)),
    row("connections made / reconnections recovered / not recovered (of which before any offset)", (s) => `${n(s.connections.connects)} / ${n(s.connections.recovered)} / ${n(s.connections.not_recovered)} (${n(s.connections.not_recovered_no_offset)})`),
    row("c2s sent / acked", (s) => `${n(s.c2s.sent)} / ${n(s.c2s.acked)}`),
    row("c2s **lost** / phantom / mismatched acks", (s) => `**${n(s.c2s.lost)}** / ${n(s.c2s.phantom)} / ${n(s.c2s.ack_mismatches)}`),
    row("c2s duplicates delivered (raw deliveries)", (s) => `${n(s.c2s.duplicates)} (${n(s.c2s.raw_deliveries)})`),
    row("c2s retries given up / unacked at the end", (s) => `${n(s.c2s.gave_up)} / ${n(s.c2s.unacked_at_end)}`),
    row("s2c expected / delivered", (s) => `${n(s.s2c.expected)} / ${n(s.s2c.delivered)}`),
    row("s2c **lost** / duplicates", (s) => `**${n(s.s2c.lost)}** / ${n(s.s2c.duplicates)}`),
    row("s2c missed in unrecovered reconnections", (s) => n(s.s2c.lost_to_unrecovered)),
    row("settled after the faults stopped", (s) => (s.settled ? `in ${fmt(s.settle_ms / 1000, 1)} s` : "**no**")),
    row("CPU: the soak's processes / the rest of the machine (cores)", (s, r) => `${r.ours.toFixed(2)} / ${r.others.toFixed(2)}`),
    "",
    ...runs.filter((r) => r.reused).map((r) => `The ${r.mode === "single" ? "one-node" : "two-node"} column comes from an earlier run of this script (kept with \`SOAK_RESULTS\`, reused with \`SOAK_REUSE\`).\n`),
    contended
      ? "The machine was **contended**: other processes used half a core or more during a run (the column above)."
      : "The machine was not contended: other processes used less than half a core during each run.",
    "",
    "A reconnection is not recovered, as with socket.io 4.8, (1) when the client lost its first",
    "connection before any `s2c` reached it: a session is restored from the offset of the last packet",
    "received, and it had none (the *before any offset* count; its seqs are counted from the first it",
    "saw, so nothing is missed); (2) when the client gives up on a stalled connection and reconnects",
    "before the server's own ping timeout has ended the old session, which then is not yet stored for",
    "recovery: the server makes a new session, and what it sent to the old socket since the stall began is gone",
    "(the *missed in unrecovered reconnections* row, outside at-least-once's contract; `sockeye-soak`",
    "prints the story of such clients).",
    "",
    machineLine(),
    "",
  ];
  if (writeSection(lines.join("\n"))) console.error("wrote the Soak section of BENCHMARKS.md");
}
// A refused section (see benchmarks.cjs) set the exit code already.
process.exit(runs.every(ok) ? process.exitCode : 1);
