// The program behind scripts/bench-load-compare.sh (which builds what this runs and passes the
// paths in SOCKEYE_BENCH_SERVER, SOCKEYE_LOAD, SOCKETIOXIDE_SERVER). For every workload, REPS
// rounds; in each round the three servers in turn, each started fresh on core 0 and loaded by the
// generator on core 1. The generator reads the server's CPU time (/proc/PID/stat) at the start
// and end of its measured window and its own CPU time; G4's memory is read here, with every
// client of the generator processes connected. Writes the `## Server: load, side by side`
// section of BENCHMARKS.md and bench/charts/load-<workload>.svg.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import { GENERATOR_CORE, SERVER_CORE, runGenerator, sleep, startPinnedServer } from "./pinned.mjs";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, loadAverage, machineLine, fmt } = require("./benchmarks.cjs");

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const DURATION = Number(process.env.DURATION ?? 10);
const REPS = Number(process.env.REPS ?? 3);
const SCALE = Number(process.env.SCALE ?? 1);
const WORKLOADS = (process.env.WORKLOADS ?? "g1 g2 g3 g4 g5ws g5poll g6").split(/\s+/).filter(Boolean);
const SERVER_NAMES = (process.env.SERVERS ?? "sockeye node socketioxide").split(/\s+/).filter(Boolean);
const LOAD = process.env.SOCKEYE_LOAD;
/** Highest file descriptor count of one process here: G4 splits its clients below it. */
const PER_PROCESS = 9_500;

const SERVERS = {
  sockeye: { label: "Sockeye", cmd: [process.env.SOCKEYE_BENCH_SERVER] },
  node: { label: "Node.js socket.io 4.8.4", cmd: [process.execPath, path.join(ROOT, "bench/peers/node-server.mjs")] },
  socketioxide: { label: "socketioxide 0.18", cmd: [process.env.SOCKETIOXIDE_SERVER] },
};

const n = (x) => Math.max(1, Math.round(x * SCALE));
/**
 * The workloads. `metric` picks the figure compared (from one run's summary), `better` whether
 * higher or lower wins, `target` the issue's ratios (Sockeye's advantage over Node.js and over
 * socketioxide).
 */
const WORKLOAD_SPECS = {
  g1: {
    title: "G1 ack-echo",
    what: `${fmt(n(1000))} WebSocket clients, each keeping one \`echo-ack\` emit-with-ack in flight`,
    args: ["--workload", "g1", "--clients", n(1000)],
    metric: "acks per server CPU-second", key: (s) => s.per_server_cpu_s, better: "higher", target: [10, 1.3],
  },
  g2: {
    title: "G2 latency",
    what: `${fmt(n(10000))} \`echo-ack\` emits/s in total across ${fmt(n(1000))} WebSocket clients, each round trip timed from when its emit was due`,
    args: ["--workload", "g2", "--clients", n(1000), "--rate", n(10000)],
    metric: "p99 round trip (ms)", key: (s) => s.latency.p99_ms, better: "lower", target: [4, 1.25],
  },
  g3: {
    title: "G3 broadcast",
    what: `one emitter, ${fmt(n(10000))} WebSocket clients in one room; the emitter sends \`to-room\` with at most 4 broadcasts not yet delivered to every client`,
    args: ["--workload", "g3", "--clients", n(10000), "--ramp", "2000"],
    metric: "deliveries per server CPU-second", key: (s) => s.per_server_cpu_s, better: "higher", target: [5, 1.3],
  },
  g4: {
    title: "G4 idle memory",
    what: `${fmt(n(19000))} idle WebSocket clients from ${Math.ceil(n(19000) / PER_PROCESS)} generator processes; the server's RSS once all are connected, minus its RSS before, per connection`,
    split: n(19000),
    args: ["--workload", "g4", "--ramp", "1000"],
    metric: "server RSS per connection (KiB)", key: (s) => s.rss_per_connection_kib, better: "lower", target: [4, 1.5],
  },
  g5ws: {
    title: "G5 handshakes, WebSocket",
    what: `${fmt(n(50))} concurrent cycles of WebSocket open + Engine.IO handshake + CONNECT + disconnect`,
    args: ["--workload", "g5", "--clients", n(50), "--transport", "websocket"],
    metric: "handshakes per server CPU-second", key: (s) => s.per_server_cpu_s, better: "higher", target: [5, 1.3],
  },
  g5poll: {
    title: "G5 handshakes, long-polling first",
    what: `${fmt(n(50))} concurrent cycles of a long-polling handshake + CONNECT + disconnect (no upgrade)`,
    args: ["--workload", "g5", "--clients", n(50), "--transport", "polling"],
    metric: "handshakes per server CPU-second", key: (s) => s.per_server_cpu_s, better: "higher", target: [5, 1.3],
  },
  g6: {
    title: "G6 long-polling throughput",
    what: `${fmt(n(1000))} long-polling-only clients, each keeping one \`echo-ack\` in flight`,
    args: ["--workload", "g6", "--clients", n(1000), "--transport", "polling"],
    metric: "acks per server CPU-second", key: (s) => s.per_server_cpu_s, better: "higher", target: [5, 1.3],
  },
};

for (const w of WORKLOADS) if (!WORKLOAD_SPECS[w]) throw new Error(`unknown workload ${w}`);
for (const s of SERVER_NAMES) if (!SERVERS[s]) throw new Error(`unknown server ${s}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-load-"));
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

/** Starts a server pinned to the server core; resolves with its URL and pid. */
const startServer = (name) => startPinnedServer(SERVERS[name].cmd, name);

/** Runs one generator process pinned to the generator core; resolves with its JSON summary. */
const generator = (args) => runGenerator(LOAD, tmp, args);

/** One run of workload `w` against server `name`: the figures of the run. */
async function runOnce(w, name) {
  const spec = WORKLOAD_SPECS[w];
  const server = await startServer(name);
  try {
    await sleep(500);
    if (spec.split) {
      // G4: several generator processes (a process may hold 20,000 file descriptors).
      const before = rssKiB(server.pid);
      const parts = Math.ceil(spec.split / PER_PROCESS);
      const ready = [];
      const runs = [];
      for (let i = 0; i < parts; i++) {
        const clients = Math.min(PER_PROCESS, spec.split - i * PER_PROCESS);
        const file = path.join(tmp, `ready-${i}`);
        rmSync(file, { force: true });
        ready.push(file);
        // Held long enough for the reading below, whatever the ramp took.
        runs.push(
          generator([...spec.args, "--url", server.url, "--clients", clients, "--ready-file", file, "--warmup", 0, "--duration", 6]),
        );
      }
      const limit = Date.now() + 120_000;
      while (!ready.every((f) => existsSync(f)) && Date.now() < limit) await sleep(100);
      await sleep(2000);
      const rss = rssKiB(server.pid);
      const summaries = await Promise.all(runs);
      const connected = summaries.reduce((a, s) => a + s.connected, 0);
      const errors = summaries.reduce((a, s) => a + s.errors, 0);
      const sum = (k) => summaries.reduce((a, s) => a + s[k], 0);
      const share = Math.max(...summaries.map((s) => s.generator_cpu_share));
      return {
        rss_per_connection_kib: (rss - before) / Math.max(1, connected),
        rss_before_kib: before, rss_kib: rss, connected, errors,
        connect_errors: sum("connect_errors"), disconnects: sum("disconnects"), ack_errors: 0, lost_acks: 0,
        missing_deliveries: 0, stalls: 0,
        generator_cpu_share: share, generator_saturated: false, server_cpu_share: null,
        latency: { p99_ms: null },
      };
    }
    const s = await generator([...spec.args, "--url", server.url, "--server-pid", server.pid, "--duration", DURATION]);
    s.server_cpu_share = s.server_cpu_s / s.window_s;
    return s;
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

// RESULTS=<file> writes the section again from a run's saved figures (target/bench-load/results.json),
// without running anything; give the run's DURATION, REPS and SCALE again.
const saved = process.env.RESULTS ? JSON.parse(readFileSync(process.env.RESULTS, "utf8")) : null;
// After the builds, right before the runs: a quiet machine (see benchmarks.cjs).
const loadBefore = saved ? Number(saved.loadBefore) : await quietStart();
const started = Date.now();
const results = saved?.results ?? {}; // results[w][server] = [run summaries]
// The saved run's servers; its DURATION, REPS and SCALE must be given again for the text.
if (saved) SERVER_NAMES.splice(0, SERVER_NAMES.length, ...Object.keys(Object.values(results)[0] ?? {}));
for (const w of saved ? [] : WORKLOADS) {
  results[w] = Object.fromEntries(SERVER_NAMES.map((s) => [s, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of SERVER_NAMES) {
      const t = Date.now();
      const s = await runOnce(w, name);
      results[w][name].push(s);
      const v = WORKLOAD_SPECS[w].key(s);
      console.error(
        `${w} ${name} rep ${rep + 1}: ${WORKLOAD_SPECS[w].metric} ${v == null ? "-" : fmt(v, 1)}; errors ${s.errors}; ` +
          `generator CPU ${Math.round(s.generator_cpu_share * 100)}%` +
          (s.server_cpu_share != null ? `, server CPU ${Math.round(s.server_cpu_share * 100)}%` : "") +
          ` (${((Date.now() - t) / 1000).toFixed(1)} s)` +
          (s.errors
            ? `; errors: connect ${s.connect_errors}, disconnects ${s.disconnects}, ack errors ${s.ack_errors}, ` +
              `lost acks ${s.lost_acks}, missing deliveries ${s.missing_deliveries}, stalls ${s.stalls}`
            : ""),
      );
    }
  }
}
const loadAfter = saved ? Number(saved.loadAfter) : loadAverage();
const elapsed = saved?.elapsed ?? (Date.now() - started) / 1000;
const RESULTS_FILE = path.join(ROOT, "target/bench-load/results.json");
if (!saved) {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify({ results, loadBefore, loadAfter, elapsed }, null, 2));
  console.error(`figures saved in ${path.relative(ROOT, RESULTS_FILE)} (RESULTS=<it> rewrites the section from them)`);
}

// ---- The section ----

const digits = (v) => (v == null ? 0 : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
const show = (v) => (v == null ? "–" : fmt(v, digits(v)));
/** Sockeye's advantage over `other`: >1 means Sockeye is better, whichever way the metric goes. */
const advantage = (spec, sockeye, other) => {
  if (sockeye == null || other == null || sockeye === 0 || other === 0) return null;
  return spec.better === "higher" ? sockeye / other : other / sockeye;
};

const lines = [];
const L = (s = "") => lines.push(s);
L("## Server: load, side by side");
L();
L(
  "Generated by `scripts/bench-load-compare.sh`: the load generator `sockeye-load` (loadgen/, native clients on " +
    "sockeye-core's sans-IO client, one thread) against three servers with the same handlers on `/` (`echo-ack` acks " +
    "its arguments, `join` joins a room, `to-room` emits to a room's other sockets): the release build of " +
    "`native-server/examples/bench.rs` (Sockeye), the reference socket.io 4.8.4 on Node.js " +
    "(`bench/peers/node-server.mjs`) and socketioxide 0.18 (`bench/peers/socketioxide/`), all with default options. " +
    `Each server is started fresh for every run, pinned to core ${SERVER_CORE}; the generator is pinned to core ` +
    `${GENERATOR_CORE}. ${REPS} round${REPS === 1 ? "" : "s"}, each running the three servers in turn; each run measures a ${DURATION} s ` +
    "window after the clients connected and a 1 s warm-up. Throughput is divided by the server's own CPU time over " +
    "the window (utime + stime of /proc/PID/stat), so a server that idles while it waits for the generator is not " +
    "flattered. Figures are medians of the rounds, with the lowest and highest run. The ratios are Sockeye's " +
    "advantage from the medians: the other server's figure divided into Sockeye's for throughput, Sockeye's " +
    "divided into the other's for latency and memory; above 1 Sockeye leads, below 1 it trails.",
);
if (SCALE !== 1) L(`\nClient counts and rates are scaled by ${SCALE} (SCALE) from the issue's workloads.`);
L();
L(
  "A run marked † had the generator at 90% or more of its core (it may have been the bottleneck, not the server). " +
    "Errors count failed connections, unexpected disconnects, failed or lost acks, and missing broadcast deliveries; " +
    "every ack and delivery is accounted for at the end of each run.",
);

const verdicts = [];
/** The SVG charts, written with the section (or saved with it when it is refused). */
const charts = {};
for (const w of saved ? Object.keys(results) : WORKLOADS) {
  const spec = WORKLOAD_SPECS[w];
  L();
  L(`### ${spec.title}`);
  L();
  L(`${spec.what}. Compared: ${spec.metric}, ${spec.better} is better.`);
  L();
  const rows = [];
  const med = {};
  for (const name of SERVER_NAMES) {
    const runs = results[w][name];
    const vals = runs.map(spec.key);
    med[name] = median(vals);
    const finite = vals.filter((v) => v != null && Number.isFinite(v));
    const sat = runs.filter((r) => r.generator_saturated).length;
    const errors = runs.reduce((a, r) => a + (r.errors ?? 0), 0);
    rows.push({ name, runs, finite, sat, errors });
  }
  const extra =
    w === "g4"
      ? ["connected", "server RSS before / loaded"]
      : w === "g2"
        ? ["rate achieved", "p50 / p99.9 ms", "server CPU"]
        : w === "g3"
          ? ["deliveries/s", "p99 delivery ms", "server CPU"]
          : ["per second", "p99 ms", "server CPU"];
  L(`| server | ${spec.metric} (median) | lowest – highest | ${extra.join(" | ")} | generator CPU | errors |`);
  L(`|---|---:|---|${extra.map(() => "---:|").join("")}---:|---:|`);
  for (const { name, runs, finite, sat, errors } of rows) {
    const mark = (r) => (r.generator_saturated ? "†" : "");
    const range = finite.length
      ? runs.map((r) => `${show(spec.key(r))}${mark(r)}`).join(", ")
      : "–";
    let cols;
    if (w === "g4") {
      cols = [
        fmt(median(runs.map((r) => r.connected))),
        `${fmt(median(runs.map((r) => r.rss_before_kib)) / 1024, 1)} / ${fmt(median(runs.map((r) => r.rss_kib)) / 1024, 1)} MiB`,
      ];
    } else if (w === "g2") {
      cols = [
        `${fmt(median(runs.map((r) => r.rate)))}/s`,
        `${show(median(runs.map((r) => r.latency.p50_ms)))} / ${show(median(runs.map((r) => r.latency.p999_ms)))}`,
        `${fmt(100 * median(runs.map((r) => r.server_cpu_share)))}%`,
      ];
    } else {
      cols = [
        fmt(median(runs.map((r) => r.rate))),
        show(median(runs.map((r) => r.latency.p99_ms))),
        `${fmt(100 * median(runs.map((r) => r.server_cpu_share)))}%`,
      ];
    }
    const gen = `${fmt(100 * median(runs.map((r) => r.generator_cpu_share)))}%${sat ? ` (${sat}†)` : ""}`;
    L(`| ${SERVERS[name].label} | ${show(med[name])} | ${range} | ${cols.join(" | ")} | ${gen} | ${fmt(errors)} |`);
  }
  const vsNode = advantage(spec, med.sockeye, med.node);
  const vsSio = advantage(spec, med.sockeye, med.socketioxide);
  const met = (r, t) => (r == null ? "not measured" : r >= t ? "met" : "**not met**");
  L();
  L(
    `Sockeye vs Node.js: ${vsNode == null ? "–" : `${fmt(vsNode, 2)}×`} (target ${spec.target[0]}×: ${met(vsNode, spec.target[0])}); ` +
      `Sockeye vs socketioxide: ${vsSio == null ? "–" : `${fmt(vsSio, 2)}×`} (target ${spec.target[1]}×: ${met(vsSio, spec.target[1])}).`,
  );
  L();
  L(`![${spec.title}](bench/charts/load-${w}.svg)`);
  verdicts.push({ w, spec, vsNode, vsSio, met });
  charts[`bench/charts/load-${w}.svg`] = chart(spec, rows, med);
}

L();
L("### Targets");
L();
L("| workload | compared | Sockeye vs Node.js | target | Sockeye vs socketioxide | target |");
L("|---|---|---:|---|---:|---|");
for (const { spec, vsNode, vsSio, met } of verdicts) {
  const r = (v) => (v == null ? "–" : `${fmt(v, 2)}×`);
  L(
    `| ${spec.title} | ${spec.metric} | ${r(vsNode)} | ${spec.target[0]}×, ${met(vsNode, spec.target[0])} | ` +
      `${r(vsSio)} | ${spec.target[1]}×, ${met(vsSio, spec.target[1])} |`,
  );
}
L();
L(
  "What is in the way. Instructions, counted by valgrind's callgrind over the generator's window on the release " +
    "builds (`scripts/bench-callgrind.sh`, stable to 0.2% whatever else the machine runs): G1 went from 28,874 to " +
    "about 12,700 instructions per ack with 100 clients (the event arguments kept as their JSON text instead of a " +
    "`Value` tree, typed handlers reading that text once with serde, and a WebSocket of our own that neither zeroes " +
    "its read buffer nor copies a message twice); with 1,000 clients Sockeye takes 12,532 and socketioxide 21,190. " +
    "G3 went from 5,220 to 1,731 instructions per delivery with 1,000 receivers (one framed buffer shared by every " +
    "receiver, receivers looked up while the adapter selects them, no id copied); socketioxide takes 2,565. The CPU " +
    "figures above do not follow, because the kernel is most of each server's CPU time and user-space instructions " +
    "are not what its remaining time tracks. Sampled with `perf record -e cpu-clock` during G1, the kernel is 55% of " +
    "Sockeye's CPU and 53% of socketioxide's; both make exactly one `sendto` and one `recvfrom` per ack (strace), and " +
    "`sendto` alone is 38% of the CPU, as on loopback it also runs the generator's TCP receive path and wakes it. " +
    "Sockeye's 41% fewer instructions give about 8% less user time. socketioxide also serves its clients unevenly " +
    "(in G1 its p50 is 0.8 ms but its p99 about 270 ms; Sockeye's p50 is 7 ms, the mean that 1,000 acks in flight " +
    "give at this rate, and its p99 10-27 ms), so it keeps fewer connections' memory hot at a time. Under G6 Sockeye " +
    "is the uneven one (p50 2.6 ms, p99 about 310 ms): its long-polling path is next after these. In G3 with 10,000 " +
    "receivers the kernel is 49% " +
    "of Sockeye's CPU against 36% of socketioxide's: Sockeye wrote 4.2 deliveries per `sendto`, socketioxide 5.9 " +
    "(perf's syscall counters over 3 s). Nagle's algorithm, which socketioxide's `axum::serve` leaves on, is not the " +
    "cause (Sockeye with it on measured the same). Next on the way to 1.3×: more of a receiver's deliveries per write " +
    "in a broadcast burst, and a handler's ack reaching its own session without the channel and wake-up (about 5% of " +
    "G1's CPU). At G2's " +
    "rate every server idles most of its core, so the three p99s measure the generator's and the kernel's round trip " +
    `more than the servers. Under G5 and G6 the generator's ${fmt(n(50))} cycles or ${fmt(n(1000))} polling clients did not ` +
    "always keep a server's core busy (see the server CPU column), so those figures include idle wake-ups.",
);
L();
L(`The whole run took ${fmt(elapsed / 60, 1)} min.`);
L();
L(`${machineLine({ node: true })} ${fmt(os.totalmem() / 2 ** 30)} GiB of memory.`);
L();
L("```");
const env = [
  DURATION !== 10 && `DURATION=${DURATION}`,
  REPS !== 3 && `REPS=${REPS}`,
  SCALE !== 1 && `SCALE=${SCALE}`,
  process.env.WORKLOADS && `WORKLOADS="${WORKLOADS.join(" ")}"`,
  process.env.SERVERS && `SERVERS="${SERVER_NAMES.join(" ")}"`,
].filter(Boolean);
L(`${env.length ? env.join(" ") + " " : ""}bash scripts/bench-load-compare.sh`);
L("```");
rmSync(tmp, { recursive: true, force: true });
if (writeSection(lines.join("\n"), { load: { start: loadBefore, end: loadAfter }, files: charts })) {
  console.error(`BENCHMARKS.md: load section rewritten (${fmt(elapsed, 0)} s)`);
}

/** A bar per server (its median) with a line from its lowest to its highest run: the SVG text. */
function chart(spec, rows, med) {
  const width = 640;
  const left = 190;
  const barH = 26;
  const gap = 14;
  const top = 48;
  const height = top + rows.length * (barH + gap) + 36;
  const max = Math.max(...rows.flatMap((r) => r.finite), 1e-9) * 1.1;
  const x = (v) => left + ((width - left - 30) * v) / max;
  const colors = { sockeye: "#2a7ab9", node: "#6c9a3c", socketioxide: "#b9612a" };
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(spec.title)}: ${esc(spec.metric)}</text>`,
    `<text x="10" y="38" fill="#555">median of ${REPS} runs (bar), lowest to highest (line); ${spec.better} is better</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const m = med[r.name];
    out.push(`<text x="${left - 8}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(SERVERS[r.name].label)}</text>`);
    if (m != null) {
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(m) - left).toFixed(1)}" height="${barH}" fill="${colors[r.name]}"/>`);
      const lo = Math.min(...r.finite);
      const hi = Math.max(...r.finite);
      out.push(`<line x1="${x(lo).toFixed(1)}" x2="${x(hi).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#000" stroke-width="2"/>`);
      const label = x(m) + 6 + 60 < width ? x(Math.max(m, hi)) + 6 : left + 6;
      out.push(`<text x="${label.toFixed(1)}" y="${y + barH / 2 + 4}">${esc(show(m))}${r.sat ? " †" : ""}</text>`);
    }
  });
  out.push(`<line x1="${left}" x2="${left}" y1="${top - 4}" y2="${height - 30}" stroke="#999"/>`);
  out.push(`<text x="10" y="${height - 10}" fill="#555">Generated by scripts/bench-load-compare.sh; † generator at 90%+ of its core.</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
