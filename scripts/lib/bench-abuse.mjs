// The program behind scripts/bench-abuse.sh (which builds what this runs and passes the paths in
// SOCKEYE_BENCH_SERVER and SOCKEYE_LOAD). One server, the release build of
// native-server/examples/bench.rs with connection state recovery and the hostile inputs' targets
// (`--recovery --hostile`), pinned to core 0; on core 1 the load generator's `mixed` workload
// (CLIENTS well-behaved clients: paced `echo-ack` emits with acks, all in one room that one more
// client broadcasts to), first alone (BASELINE seconds), then for DURATION seconds beside
// bench-abuse-hostile.mjs (HOSTILE connections cycling through the worst inputs, under
// SCHED_IDLE: on the shared core they get only the CPU time the generator leaves). The server's RSS and open file descriptors are sampled from
// /proc every SAMPLE_SECONDS throughout; after the attack, SETTLE seconds more; then fresh
// clients (the official socket.io-client) connect and ask for an ack. Writes the
// `## Server: abuse` section of BENCHMARKS.md and bench/charts/abuse-rss.svg; exits 1 when an
// ack was lost, a well-behaved client was disconnected, the server died or went over
// RSS_LIMIT_MIB (it is killed then), or the fresh clients got no answer.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, loadAverage, machineLine, fmt } = require("./benchmarks.cjs");
const { io: ioClient } = require("socket.io-client");

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const num = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number of 0 or more`);
  return v;
};
const DURATION = num("DURATION", 300);
const BASELINE = num("BASELINE", Math.min(60, DURATION));
const CLIENTS = num("CLIENTS", 1000);
const HOSTILE = num("HOSTILE", 50);
const RATE = num("RATE", 10_000);
const BROADCAST_RATE = num("BROADCAST_RATE", 10);
const SAMPLE_SECONDS = num("SAMPLE_SECONDS", 2);
const SETTLE = num("SETTLE", 30);
const RSS_LIMIT_MIB = num("RSS_LIMIT_MIB", 4096);
const WARMUP = 1;
const SERVER = process.env.SOCKEYE_BENCH_SERVER;
const LOAD = process.env.SOCKEYE_LOAD;
const SERVER_CORE = "0";
const LOAD_CORE = "1";
const TOKEN = "sockeye-bench-token"; // bench.rs's TOKEN

const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-abuse-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => console.error(`bench-abuse: ${s}`);

// ---- The server, and its memory over time ----

function status(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
    let fds = null;
    try {
      fds = readdirSync(`/proc/${pid}/fd`).length;
    } catch {}
    return { rss: kib("VmRSS"), hwm: kib("VmHWM"), fds };
  } catch {
    return null;
  }
}

async function startServer() {
  const child = spawn("taskset", ["-c", SERVER_CORE, SERVER, "--port", "0", "--exit-with-stdin", "--recovery", "--hostile"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "error" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20_000)));
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
  return {
    url,
    pid: child.pid,
    exited: () => exited,
    stderr: () => stderr,
    kill: () => child.kill("SIGKILL"),
    async stop() {
      if (exited) return;
      child.stdin.end();
      const gone = new Promise((r) => child.once("exit", r));
      if (!(await Promise.race([gone.then(() => true), sleep(3000).then(() => false)]))) {
        child.kill("SIGKILL");
        await gone;
      }
    },
  };
}

// ---- The well-behaved clients and the hostile ones ----

/** One generator run (pinned to the load core); resolves with its JSON summary. */
function generator(url, pid, duration, readyFile) {
  const json = path.join(tmp, `gen-${Date.now()}.json`);
  const args = [
    "--quiet", "--json", json, "--url", url, "--server-pid", String(pid),
    "--workload", "mixed", "--clients", String(CLIENTS), "--rate", String(RATE),
    "--broadcast-rate", String(BROADCAST_RATE), "--warmup", String(WARMUP), "--duration", String(duration),
  ];
  if (readyFile) args.push("--ready-file", readyFile);
  const child = spawn("taskset", ["-c", LOAD_CORE, LOAD, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0 || !existsSync(json)) reject(new Error(`sockeye-load failed (${code}): ${err}`));
      else resolve(JSON.parse(readFileSync(json, "utf8")));
    });
  });
}

/**
 * The hostile connections for `seconds`, pinned to the load core under SCHED_IDLE (`chrt
 * --idle`): they run whenever the generator does not need the core, so that they cannot make
 * the well-behaved clients late on their side and pass it off as the server's doing.
 */
function hostile(url, seconds) {
  const out = path.join(tmp, "hostile.json");
  const child = spawn(
    "chrt",
    ["--idle", "0", "taskset", "-c", LOAD_CORE, process.execPath, path.join(ROOT, "scripts/lib/bench-abuse-hostile.mjs")],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, URL: url, DURATION: String(seconds), SLOTS: String(HOSTILE), OUT: out, VERBOSE: "1" },
    },
  );
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0 || !existsSync(out)) reject(new Error(`the hostile connections failed (${code})`));
      else resolve(JSON.parse(readFileSync(out, "utf8")));
    });
  });
}

/** A fresh official client: connects to `nsp` and asks for an ack; the times, or why not. */
async function freshClient(url, { nsp = "/", transports, auth } = {}) {
  const t0 = Date.now();
  const socket = ioClient(url + nsp, { transports, auth, reconnection: false, timeout: 10_000, forceNew: true });
  try {
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
    });
    const connectMs = Date.now() - t0;
    const t1 = Date.now();
    const reply = await socket.timeout(10_000).emitWithAck("echo-ack", "still answering?");
    if (reply !== "still answering?") throw new Error(`unexpected ack ${JSON.stringify(reply)}`);
    return { ok: true, connectMs, ackMs: Date.now() - t1, transport: socket.io.engine.transport.name };
  } catch (e) {
    return { ok: false, why: String(e.message ?? e) };
  } finally {
    socket.disconnect();
  }
}

// ---- The run ----

const loadBefore = await quietStart();
const started = Date.now();
const server = await startServer();
log(`server at ${server.url} (pid ${server.pid}); ${CLIENTS} clients, ${HOSTILE} hostile connections, ${DURATION} s of attack`);

const samples = []; // { t (s since the server started), phase, rss (KiB), fds }
let phase = "idle";
let killedAt = null;
const sampler = setInterval(() => {
  const s = status(server.pid);
  if (!s || server.exited()) return;
  samples.push({ t: (Date.now() - started) / 1000, phase, rss: s.rss, hwm: s.hwm, fds: s.fds });
  if (s.rss / 1024 > RSS_LIMIT_MIB && killedAt === null) {
    killedAt = { t: (Date.now() - started) / 1000, rss: s.rss };
    log(`the server's RSS is ${fmt(s.rss / 1024)} MiB, over RSS_LIMIT_MIB=${RSS_LIMIT_MIB}: killed`);
    server.kill();
  }
}, SAMPLE_SECONDS * 1000);
await sleep(Math.max(2, SAMPLE_SECONDS * 2) * 1000);

let baseline = null;
let attack = null;
let hostileReport = null;
let failure = null;
try {
  if (BASELINE > 0) {
    phase = "baseline";
    log(`baseline: ${BASELINE} s without the attack`);
    baseline = await generator(server.url, server.pid, BASELINE);
    phase = "between";
    await sleep(3000);
  }
  phase = "attack";
  log(`attack: ${DURATION} s`);
  const ready = path.join(tmp, "ready");
  const gen = generator(server.url, server.pid, DURATION, ready);
  const genDone = gen.then(
    (s) => s,
    (e) => e,
  );
  while (!existsSync(ready)) {
    const r = await Promise.race([genDone, sleep(100).then(() => null)]);
    if (r instanceof Error) throw r;
  }
  // The attack covers the warm-up and the whole measured window.
  const attackStarted = Date.now();
  hostileReport = await hostile(server.url, WARMUP + DURATION);
  const attackSeconds = (Date.now() - attackStarted) / 1000;
  attack = await gen;
  attack.attack_s = attackSeconds;
  phase = "after";
  log(`after the attack: ${SETTLE} s`);
  await sleep(SETTLE * 1000);
} catch (e) {
  failure = String(e.message ?? e);
  log(`failed: ${failure}`);
}
clearInterval(sampler);

phase = "check";
const checks = server.exited()
  ? []
  : [
      { what: "`/`, polling then WebSocket", r: await freshClient(server.url) },
      { what: "`/`, WebSocket only", r: await freshClient(server.url, { transports: ["websocket"] }) },
      { what: "`/auth` with the token", r: await freshClient(server.url, { nsp: "/auth", transports: ["websocket"], auth: { token: TOKEN } }) },
      { what: "`/dyn-1` with the token", r: await freshClient(server.url, { nsp: "/dyn-1", transports: ["websocket"], auth: { token: TOKEN } }) },
    ];
const exited = server.exited();
const finalRss = status(server.pid);
await server.stop();
const loadAfter = loadAverage();
const elapsed = (Date.now() - started) / 1000;
rmSync(tmp, { recursive: true, force: true });

const RESULTS = path.join(ROOT, "target/bench-abuse/results.json");
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(
  RESULTS,
  JSON.stringify({ baseline, attack, hostile: hostileReport, samples, checks, killedAt, exited, failure, loadBefore, loadAfter, elapsed }, null, 2),
);
log(`figures saved in ${path.relative(ROOT, RESULTS)}`);

// ---- The section ----

const mib = (kib) => (kib == null || !Number.isFinite(kib) ? "–" : fmt(kib / 1024, kib / 1024 >= 100 ? 0 : 1));
const ms = (v) => (v == null ? "–" : fmt(v, v >= 100 ? 0 : v >= 10 ? 1 : 2));
const inPhase = (p) => samples.filter((s) => s.phase === p);
const maxOf = (xs, k = "rss") => (xs.length ? Math.max(...xs.map((s) => s[k])) : null);
const last = (xs) => (xs.length ? xs[xs.length - 1] : null);

const attackSamples = inPhase("attack");
const a0 = attackSamples[0]?.t ?? 0;
const span = attackSamples.length ? last(attackSamples).t - a0 : 0;
const middleThird = attackSamples.filter((s) => s.t > a0 + span / 3 && s.t <= a0 + (2 * span) / 3);
const lastThird = attackSamples.filter((s) => s.t > a0 + (2 * span) / 3);
/** The slowest attacks take 60 s and more: only a long attack reaches its steady state. */
const JUDGED_FROM = 180;
const judged = DURATION >= JUDGED_FROM;
// Without clients, before the attack (after the baseline's clients left, or before any came).
const before = last(inPhase("between")) ?? last(inPhase("idle"));
const withClients = last(inPhase("baseline"));
const afterSamples = inPhase("after");
const settled = last(afterSamples);
/** Least-squares slope of RSS (MiB per minute) over `xs`. */
function slope(xs) {
  if (xs.length < 3) return null;
  const n = xs.length;
  const mx = xs.reduce((a, s) => a + s.t, 0) / n;
  const my = xs.reduce((a, s) => a + s.rss, 0) / n;
  const sxy = xs.reduce((a, s) => a + (s.t - mx) * (s.rss - my), 0);
  const sxx = xs.reduce((a, s) => a + (s.t - mx) ** 2, 0);
  return sxx ? ((sxy / sxx) * 60) / 1024 : null;
}
const peak = maxOf(attackSamples);
const max2 = maxOf(middleThird);
const max3 = maxOf(lastThird);
// Bounded: the last third of the attack peaks no higher than the middle third (25% and 16 MiB
// of slack for what the attacks in flight hold at the moment of a sample; the first third is
// the ramp of the slow attacks), and once the attack is over RSS falls back to within 32 MiB of
// where it was without clients before it. Judged on attacks of JUDGED_FROM seconds or more.
const backDown = settled != null && before != null && settled.rss <= before.rss + 32 * 1024;
const bounded = judged ? max2 != null && max3 != null && max3 <= max2 * 1.25 + 16 * 1024 && backDown : null;

const lostAcks = attack ? attack.lost_acks : null;
const ackErrors = attack ? attack.ack_errors : null;
const answering = checks.length > 0 && checks.every((c) => c.r.ok);
const ok = !failure && !exited && killedAt === null && lostAcks === 0 && attack?.errors === 0 && answering && bounded !== false;

const lines = [];
const L = (s = "") => lines.push(s);
L("## Server: abuse");
L();
L(
  "Generated by `scripts/bench-abuse.sh` (issue 13: nothing a client does can stall, leak or crash a node). One server, " +
    "the release build of `native-server/examples/bench.rs` on jemalloc with connection state recovery on " +
    "(`--recovery --hostile`: also an auth middleware on `/auth` and on the dynamic namespaces `/dyn-<n>`, and an event " +
    "`n(number)` whose handler takes an `f64`), every bound at its default, pinned to core " +
    `${SERVER_CORE}. On core ${LOAD_CORE}, ${fmt(CLIENTS)} well-behaved WebSocket clients of the load generator ` +
    `(\`sockeye-load --workload mixed\`): \`echo-ack\` emits with acks, ${fmt(RATE)}/s in all, each round trip timed from when ` +
    `its emit was due; all of them in one room, to which one more client broadcasts ${fmt(BROADCAST_RATE)} times a second ` +
    `(${fmt(BROADCAST_RATE * CLIENTS)} deliveries/s), each delivery timed. First ${fmt(BASELINE)} s alone, then ${fmt(DURATION)} s ` +
    `while ${HOSTILE} hostile connections (\`scripts/lib/bench-abuse-hostile.mjs\`, raw TCP, under SCHED_IDLE so that on ` +
    "the shared core they only get the time the generator leaves) cycle through the attacks below, each taking the kind the " +
    "fewest of them are running. The offered load is fixed, so what the attack costs shows as latency, server CPU and " +
    "errors, not as a lower rate.",
);
L();
L("### Well-behaved clients");
L();
const row = (label, s) => {
  if (!s) return `| ${label} | – | – | – | – | – | – | – |`;
  const l = s.latency;
  const d = s.delivery_latency;
  return (
    `| ${label} | ${fmt(s.rate)}/s | ${ms(l.p50_ms)} / **${ms(l.p99_ms)}** / ${ms(l.p999_ms)} / ${ms(l.max_ms)} | ` +
    `${fmt(s.deliveries / s.window_s)}/s | ${ms(d.p50_ms)} / **${ms(d.p99_ms)}** / ${ms(d.max_ms)} | ` +
    `${s.server_cpu_s == null ? "–" : `${Math.round((s.server_cpu_s / s.window_s) * 100)}%`} | ` +
    `${Math.round(s.generator_cpu_share * 100)}% | ${s.errors} |`
  );
};
L("| | acks | round trip ms p50 / **p99** / p99.9 / max | deliveries | delivery ms p50 / **p99** / max | server CPU | generator CPU | errors |");
L("|---|---:|---:|---:|---:|---:|---:|---:|");
L(row(`without the attack (${fmt(BASELINE)} s)`, baseline));
L(row(`under attack (${fmt(DURATION)} s)`, attack));
L();
if (attack) {
  L(
    `Acks lost under attack: **${lostAcks}** of ${fmt(attack.emitted)} asked for (must be 0); acks failed: ${ackErrors}; ` +
      `well-behaved clients disconnected: ${attack.disconnects}; connections refused: ${attack.connect_errors}; ` +
      `broadcast deliveries missing: ${attack.missing_deliveries}. Errors count all of these.`,
  );
} else {
  L(`The run under attack did not complete: ${failure ?? "no figures"}.`);
}
L();
L("### Hostile connections");
L();
const KIND_TEXT = {
  "big-auth": "WebSocket CONNECT whose auth is a 90,000-key JSON object (981 KB), to `/` and to `/auth` in turn",
  attachments: "binary event announcing 10 attachments; 9 of 999,000 bytes follow, never the 10th",
  "auth-brute": "CONNECTs to `/auth` with wrong tokens at wire speed on one connection (up to 100,000 in 10 s)",
  "bad-number": "`42[\"n\",1e400]` at wire speed for 3 s, then `echo-ack` with an ack",
  unread: "joins the broadcast room, stops reading; asks for a 64 KiB echo every 50 ms and sends a pong every 2 s",
  "bad-sid": "a malformed `sid` (empty, 8,000 bytes, `%00`, `../`, CRLF, unknown, …) on a polling GET, a polling POST or a WebSocket",
  "dyn-ns": "CONNECTs to `/dyn-<n>` (a new name each) that the middleware refuses, at wire speed on one connection",
  "big-post": "polling POST of 1.5 MB (over `maxHttpBufferSize`), then a GET on its session",
  "slow-post": "polling POST announcing 200 bytes, sent one byte every 2 s",
  "double-connect": "a second CONNECT to `/`, already joined, then `echo-ack` with an ack",
};
const OUTCOMES = ["closed", "refused", "answered", "ignored", "timed out", "error"];
const noteText = (notes) =>
  Object.entries(notes ?? {})
    .map(([k, v]) =>
      typeof v === "number" ? `${k}: ${fmt(v)}` : `${k}: ${fmt(v.mean, v.mean >= 100 ? 0 : 1)} (${fmt(v.min, v.min >= 100 ? 0 : 1)}–${fmt(v.max, v.max >= 100 ? 0 : 1)})`,
    )
    .join("; ");
if (hostileReport) {
  L(
    `${fmt(Object.values(hostileReport.kinds).reduce((a, k) => a + k.attacks, 0))} attacks in ${fmt(hostileReport.duration_s)} s ` +
      `(the hostile process used ${fmt(hostileReport.cpu_s)} CPU-seconds). How the server answered: **closed** the connection, ` +
      "**refused** (CONNECT_ERROR, or an HTTP 4xx), **answered** as a well-formed request, **ignored** (nothing came back and " +
      "the connection still answered an ack), **timed out** (nothing within the attack's limit), **error** (the connection " +
      "failed before the attack). Attacks cut off when the time was up are left out.",
  );
  L();
  L(`| attack | what | attacks | ${OUTCOMES.join(" | ")} | time, median / max | notes |`);
  L(`|---|---|---:|${OUTCOMES.map(() => "---:").join("|")}|---:|---|`);
  for (const [kind, k] of Object.entries(hostileReport.kinds)) {
    const errs = Object.entries(k.errors ?? {}).map(([w, c]) => `error "${w}": ${c}`);
    const notes = [noteText(k.notes), ...errs].filter(Boolean).join("; ");
    L(
      `| ${kind} | ${KIND_TEXT[kind] ?? ""} | ${fmt(k.attacks)} | ${OUTCOMES.map((o) => (k.outcomes[o] ? fmt(k.outcomes[o]) : "")).join(" | ")} | ` +
        `${k.p50_ms == null ? "–" : `${ms(k.p50_ms)} / ${ms(k.max_ms)} ms`} | ${notes} |`,
    );
  }
} else {
  L("The hostile connections did not report.");
}
L();
L("### Server memory");
L();
L(
  `RSS and open file descriptors of the server, from /proc/PID/status and /proc/PID/fd every ${SAMPLE_SECONDS} s. ` +
    `Without clients before the attack: ${mib(before?.rss)} MiB; with the well-behaved clients alone: ${mib(withClients?.rss)} MiB; ` +
    `under attack: peak ${mib(peak)} MiB (middle third ${mib(max2)}, last third ${mib(max3)}; slope over the last third ` +
    `${slope(lastThird) == null ? "–" : `${fmt(slope(lastThird), 1)} MiB/min`}); ${fmt(SETTLE)} s after it, without clients: ` +
    `${mib(settled?.rss)} MiB (${settled?.fds ?? "–"} file descriptors). Bounded: ` +
    (judged
      ? `**${bounded ? "yes" : "no"}**`
      : `not judged (an attack under ${JUDGED_FROM} s does not reach its steady state; back down after it: ${backDown ? "yes" : "no"})`) +
    " (the criterion: the last third of the attack peaks at most 25% + 16 MiB over the middle third, and RSS is back within " +
    "32 MiB of its level without clients once the attack is over)." +
    (killedAt ? ` **The server went over RSS_LIMIT_MIB=${RSS_LIMIT_MIB} at ${fmt(killedAt.t)} s and was killed.**` : ""),
);
if (attackSamples.length > 1) {
  // About ten readings across the attack, for a reader without the chart.
  const step = Math.max(SAMPLE_SECONDS, Math.ceil(span / 10 / SAMPLE_SECONDS) * SAMPLE_SECONDS);
  const picks = [];
  for (let at = a0; at <= a0 + span + 1e-9; at += step) {
    const s = attackSamples.reduce((best, x) => (Math.abs(x.t - at) < Math.abs(best.t - at) ? x : best));
    if (picks.at(-1) !== s) picks.push(s);
  }
  L();
  L(`RSS under attack, every ${fmt(step)} s from its start (MiB): ${picks.map((s) => mib(s.rss)).join(", ")}.`);
}
L();
L(`![server RSS](bench/charts/abuse-rss.svg)`);
L();
L("| phase | from (s) | RSS MiB, min / max / last | file descriptors, max |");
L("|---|---:|---:|---:|");
for (const p of ["idle", "baseline", "attack", "after"]) {
  const xs = inPhase(p);
  if (!xs.length) continue;
  const rs = xs.map((s) => s.rss);
  L(`| ${p} | ${fmt(xs[0].t)} | ${mib(Math.min(...rs))} / ${mib(Math.max(...rs))} / ${mib(last(xs).rss)} | ${fmt(maxOf(xs, "fds") ?? 0)} |`);
}
L();
L("### Still answering");
L();
if (exited) {
  L(`**No: the server exited** (${exited.signal ?? `code ${exited.code}`}${killedAt ? ", killed over the RSS limit" : ""}).`);
} else {
  L(`Fresh clients (the official socket.io-client), ${fmt(SETTLE)} s after the attack: ` +
    checks.map((c) => (c.r.ok ? `${c.what}: connected in ${c.r.connectMs} ms, ack in ${c.r.ackMs} ms` : `${c.what}: **failed (${c.r.why})**`)).join("; ") +
    `. **${answering ? "Yes" : "No"}.**`);
}
L();
L(
  `Verdict: ${ok ? "**passed**" : "**failed**"}: no ack lost, no well-behaved client disconnected, the server alive and answering` +
    (bounded ? ", its RSS bounded" : "") +
    (ok ? "." : `; ${[failure && `run failed: ${failure}`, exited && "server exited", killedAt && "RSS limit", lostAcks !== 0 && `acks lost: ${lostAcks}`, attack && attack.errors !== 0 && `generator errors: ${attack.errors}`, !answering && "not answering", bounded === false && "RSS not bounded"].filter(Boolean).join(", ")}.`) +
    ` The whole run took ${fmt(elapsed)} s.`,
);
L();
L(machineLine({ node: true }));

// ---- The chart ----

function chart() {
  const width = 760;
  const height = 300;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 40;
  if (samples.length < 2) return null;
  const t0 = samples[0].t;
  const t1 = last(samples).t;
  const ymax = Math.max(...samples.map((s) => s.rss)) / 1024;
  const yTop = Math.max(8, Math.ceil((ymax * 1.1) / 8) * 8);
  const x = (t) => left + ((t - t0) / Math.max(1e-9, t1 - t0)) * (width - left - right);
  const y = (v) => height - bottom - (v / yTop) * (height - top - bottom);
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Server RSS (MiB) under ${HOSTILE} hostile connections beside ${fmt(CLIENTS)} clients</text>`,
  ];
  const colors = { baseline: "#e8f0f8", attack: "#f8e4e0", after: "#eef6e8" };
  for (const p of Object.keys(colors)) {
    const xs = inPhase(p);
    if (xs.length < 1) continue;
    out.push(`<rect x="${x(xs[0].t).toFixed(1)}" y="${top}" width="${Math.max(1, x(last(xs).t) - x(xs[0].t)).toFixed(1)}" height="${height - top - bottom}" fill="${colors[p]}"/>`);
    out.push(`<text x="${(x(xs[0].t) + 4).toFixed(1)}" y="${top + 14}" fill="#555">${esc(p === "attack" ? "under attack" : p)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yTop / 4) * i;
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.rss / 1024).toFixed(1)}`).join(" ");
  out.push(`<polyline points="${pts}" fill="none" stroke="#2a7ab9" stroke-width="1.5"/>`);
  out.push(`<text x="${left}" y="${height - 12}" fill="#555">seconds since the server started: ${fmt(t0)} to ${fmt(t1)}; generated by scripts/bench-abuse.sh</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

const svg = chart();
writeSection(lines.join("\n") + "\n", { load: { start: loadBefore, end: loadAfter }, files: svg ? { "bench/charts/abuse-rss.svg": svg } : {} });
console.log(lines.join("\n"));
if (!ok) process.exitCode = 1;
