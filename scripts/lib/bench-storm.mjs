// The program behind scripts/bench-storm.sh: a reconnect storm. CLIENTS WebSocket clients
// (`sockeye-load --workload storm`, split across PROCS processes: the per-process file limit is
// 20,000) connect to the release build of the interop server (SOCKEYE_INTEROP_SERVER); once all
// are connected the server is killed (SIGKILL) and started again on the same port, and every
// client reconnects through the core's manager with the reference's backoff and jitter. Measures
// the time to 50/99/100% reconnected from the moment the new server listens, the connection
// errors, the new server's peak RSS and CPU; writes the `## Server: reconnect storm` section of
// BENCHMARKS.md and exits 1 when a check fails.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, machineLine, fmt } = require("./benchmarks.cjs");

const SERVER = process.env.SOCKEYE_INTEROP_SERVER;
const LOAD = process.env.SOCKEYE_LOAD;
const CLIENTS = Number(process.env.CLIENTS ?? 19_000);
const PROCS = Number(process.env.PROCS ?? 4);
// Connections each generator starts per second while the clients first connect.
const RAMP = Number(process.env.RAMP ?? 1_000);
const LIMIT_MS = 10_000;
// The example binds with `sockeye_server::bind`: a backlog of LISTEN_BACKLOG, 4096 (capped by
// net.core.somaxconn).
const BACKLOG = 4096;
const SAMPLE_MS = 100;
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const readProc = (p) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
};
/** CPU seconds (user + system) of `pid`, or null when it is gone. */
function cpuSeconds(pid) {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return null;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
/** A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM), or null. */
function statusKiB(pid, field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readProc(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) : null;
}
/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function machineJiffies() {
  const f = readProc("/proc/stat").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
/** The kernel's TCP counters (/proc/net/netstat, TcpExt): listen queue overflows and drops, SYN retransmissions. */
function tcpExt() {
  const lines = (readProc("/proc/net/netstat") ?? "").split("\n").filter((l) => l.startsWith("TcpExt:"));
  if (lines.length < 2) return {};
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}
const TCP_COUNTERS = ["ListenOverflows", "ListenDrops", "TCPSynRetrans"];
const sysctl = (name) => readProc(`/proc/sys/${name.replaceAll(".", "/")}`)?.trim() ?? "?";

const children = new Set();
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

/** Starts the server on `port`; resolves once it prints its address: { child, pid, url, listenedAt }. */
function startServer(port) {
  const child = spawn(SERVER, ["--port", String(port), "--exit-with-stdin"], { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the server did not listen within 10 s\n${err}`)), 10_000);
    child.once("exit", (code, signal) => reject(new Error(`the server exited (${code ?? signal})\n${err}`)));
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        const listenedAt = Date.now();
        clearTimeout(timer);
        resolve({ child, pid: child.pid, url: m[1], listenedAt, log: () => err });
      }
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "sockeye-storm-"));
const restartFile = path.join(tmp, "restart");
let failure = null;
let first;
let second;
const gens = [];
const samples = [];
let killedAt;
let result;
// After the builds, right before the run: a quiet machine (see benchmarks.cjs).
await quietStart();
try {
  first = await startServer(0);
  const port = new URL(first.url).port;
  console.log(`server ${first.pid} on ${first.url}; ${fmt(CLIENTS)} clients in ${PROCS} processes`);

  // The generators: each holds its share of the clients until the storm is over (or 60 s after
  // the first loss), then writes its JSON summary.
  for (let i = 0; i < PROCS; i++) {
    const clients = Math.floor(CLIENTS / PROCS) + (i < CLIENTS % PROCS ? 1 : 0);
    const ready = path.join(tmp, `ready-${i}`);
    const json = path.join(tmp, `summary-${i}.json`);
    const args = ["--workload", "storm", "--url", first.url, "--clients", String(clients), "--ramp", String(RAMP),
      "--duration", "60", "--ready-file", ready, "--restart-file", restartFile, "--json", json, "--quiet"];
    const child = spawn(LOAD, args, { stdio: ["ignore", "ignore", "pipe"] });
    children.add(child);
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-4000)));
    const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    gens.push({ child, ready, json, clients, exited, err: () => err });
  }
  const readyBy = Date.now() + 180_000;
  while (!gens.every((g) => existsSync(g.ready))) {
    if (Date.now() > readyBy) throw new Error("the clients did not all connect within 180 s");
    const dead = gens.find((g) => g.child.exitCode !== null);
    if (dead) throw new Error(`a generator exited early (${dead.child.exitCode}): ${dead.err()}`);
    await sleep(100);
  }
  const connected = gens.reduce((n, g) => n + Number(readFileSync(g.ready, "utf8")), 0);
  const before = { rss: statusKiB(first.pid, "VmRSS"), hwm: statusKiB(first.pid, "VmHWM") };
  console.log(`${fmt(connected)} connected; server RSS ${fmt(before.rss / 1024, 1)} MiB; killing it`);
  if (connected !== CLIENTS) throw new Error(`only ${connected} of ${CLIENTS} clients connected`);
  await sleep(1000);

  // The storm.
  const tcp0 = tcpExt();
  killedAt = Date.now();
  first.child.kill("SIGKILL");
  await new Promise((resolve) => (first.child.exitCode !== null || first.child.signalCode ? resolve() : first.child.once("exit", resolve)));
  const spawnedAt = Date.now();
  second = await startServer(port);
  writeFileSync(restartFile, `${second.listenedAt}\n`);
  console.log(`killed at +0 ms, restarted at +${spawnedAt - killedAt} ms, listening at +${second.listenedAt - killedAt} ms`);

  // The new server's RSS and CPU every 100 ms, and the machine's, until the generators end.
  const machine0 = machineJiffies();
  const cpu0 = cpuSeconds(second.pid);
  const gensCpu0 = gens.map((g) => cpuSeconds(g.child.pid) ?? 0);
  let last = { t: performance.now(), cpu: cpu0 };
  let peakCpu = 0;
  let peakRss = 0;
  let done = false;
  const all = Promise.all(gens.map((g) => g.exited)).then((codes) => ((done = true), codes));
  let gensCpu1 = gensCpu0;
  let machine1 = machine0;
  let cpuAllBack = null;
  while (!done) {
    await sleep(SAMPLE_MS);
    const t = performance.now();
    const cpu = cpuSeconds(second.pid);
    const rss = statusKiB(second.pid, "VmRSS");
    if (cpu === null || rss === null) throw new Error(`the restarted server died\n${second.log()}`);
    const share = (cpu - last.cpu) / ((t - last.t) / 1000);
    peakCpu = Math.max(peakCpu, share);
    peakRss = Math.max(peakRss, rss);
    samples.push({ ms: Date.now() - second.listenedAt, rss, share });
    last = { t, cpu };
    // The generators' CPU while they run (they exit once every client is back).
    const g = gens.map((g, i) => cpuSeconds(g.child.pid) ?? gensCpu1[i]);
    if (g.every((v) => v !== null)) gensCpu1 = g;
    machine1 = machineJiffies();
    cpuAllBack = cpu - cpu0;
  }
  const codes = await all;
  const tcp1 = tcpExt();
  const hwm = statusKiB(second.pid, "VmHWM");
  const summaries = gens.map((g, i) => {
    if (!existsSync(g.json)) throw new Error(`generator ${i} wrote no summary (exit ${codes[i]}): ${g.err()}`);
    return JSON.parse(readFileSync(g.json, "utf8"));
  });
  const sum = (f) => summaries.reduce((n, s) => n + f(s), 0);
  const ms = summaries.flatMap((s) => s.storm.reconnect_ms).sort((a, b) => a - b);
  const pctOf = (v, p) => (v.length ? v[Math.min(v.length, Math.max(1, Math.ceil(p * v.length))) - 1] : null);
  const pct = (p) => pctOf(ms, p);
  const attempts = summaries.flatMap((s) => s.storm.attempt_ms).sort((a, b) => a - b);
  const wall = Math.max(1, (machine1.total - machine0.total) / os.availableParallelism());
  const machineBusy = (machine1.busy - machine0.busy) / TICKS; // CPU seconds, all processes
  const serverCpu = cpuAllBack ?? 0;
  const gensCpu = gensCpu1.reduce((a, b) => a + b, 0) - gensCpu0.reduce((a, b) => a + b, 0);
  result = {
    connected,
    lost: sum((s) => s.storm.lost),
    back: ms.length,
    notBack: sum((s) => s.storm.not_back),
    initialErrors: sum((s) => s.connect_errors),
    attempts: sum((s) => s.storm.reconnect_attempts),
    failedAttempts: sum((s) => s.storm.reconnect_errors),
    open: ["refused", "reset", "timed_out", "other"].map((k) => sum((s) => s.open_errors[k])),
    refusedBefore: sum((s) => s.storm.refused_before),
    refusedAfter: sum((s) => s.storm.refused_after),
    since: summaries.every((s) => s.storm.since === "restart") ? "restart" : "mixed",
    p50: pct(0.5),
    p99: pct(0.99),
    p100: pct(1),
    earliest: ms[0] ?? null,
    attemptsAt: [attempts[0] ?? null, pctOf(attempts, 0.5), pctOf(attempts, 1)],
    restartGap: second.listenedAt - killedAt,
    tcp: Object.fromEntries(TCP_COUNTERS.map((k) => [k, (tcp1[k] ?? 0) - (tcp0[k] ?? 0)])),
    before,
    peakRss: Math.max(peakRss, hwm ?? 0),
    peakCpu,
    serverCpu,
    gensCpu,
    othersCpu: Math.max(0, machineBusy - serverCpu - gensCpu),
    wallS: wall / TICKS,
    samples: samples.length,
  };
  console.log(JSON.stringify(result));
  if (result.notBack > 0 || result.back < CLIENTS) failure = `${result.notBack} clients not back (${result.back} of ${CLIENTS} reconnected)`;
  else if (result.p100 > LIMIT_MS) failure = `the last client was back after ${result.p100} ms (limit ${LIMIT_MS})`;
  else if (result.refusedAfter > 0) failure = `${result.refusedAfter} connections started after the new server listened were refused`;
  else if (result.initialErrors > 0) failure = `${result.initialErrors} clients failed to connect`;
} catch (e) {
  failure = e.message;
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
}

const passed = !failure;
console.log(passed ? "storm: PASS" : `storm: FAIL: ${failure}`);

const r = result;
const cores = os.availableParallelism();
const lines = [
  "## Server: reconnect storm",
  "",
  `Generated by \`scripts/bench-storm.sh\`: ${fmt(CLIENTS)} WebSocket clients (\`sockeye-load --workload storm\`,`,
  `${PROCS} processes: the per-process file limit here is 20,000) connect to the release build of`,
  "`native-server/examples/interop.rs` (jemalloc, the reference's default options); once all are connected",
  "the server is killed (SIGKILL) and started again on the same port. Every client reconnects through the",
  "core's manager with the reference's backoff and jitter (reconnectionDelay 1000 ms, reconnectionDelayMax",
  "5000 ms, randomizationFactor 0.5: the first attempt comes 500-1500 ms after the loss); the generator does",
  "not reconnect on its own. Times count from the moment the new server printed its `listening` line.",
  `Pass: every client CONNECTed to \`/\` again within ${fmt(LIMIT_MS / 1000)} s of the restart, and no refused connection among`,
  "those started after the new server listened (those started before find nothing listening: counted apart).",
  `The server listens with a backlog of ${fmt(BACKLOG)} (\`sockeye_server::bind\`; net.core.somaxconn here ${sysctl("net.core.somaxconn")},`,
  `tcp_max_syn_backlog ${sysctl("net.ipv4.tcp_max_syn_backlog")}, tcp_abort_on_overflow ${sysctl("net.ipv4.tcp_abort_on_overflow")}: a full accept queue drops SYNs, which`,
  "the client retransmits after 1 s, then 3 s, rather than refusing them). Refused connections are counted, and",
  "the kernel's own counts of overflows and SYN retransmissions (/proc/net/netstat, for the whole machine) are",
  "read before the kill and after the generators end.",
  "",
];
if (r) {
  const t = (v) => (v === null ? "-" : `${fmt(v)} ms`);
  lines.push(
    "| Figure | Value |",
    "| --- | --- |",
    `| Result | ${passed ? "**PASS**" : `**FAIL**: ${failure}`} |`,
    `| Clients connected before the kill | ${fmt(r.connected)} |`,
    `| Connections lost / back / not back | ${fmt(r.lost)} / ${fmt(r.back)} / ${fmt(r.notBack)} |`,
    `| Restart: kill to listening | ${fmt(r.restartGap)} ms |`,
    `| Time to 50% reconnected | ${t(r.p50)} |`,
    `| Time to 99% reconnected | ${t(r.p99)} |`,
    `| Time to 100% reconnected | ${t(r.p100)} |`,
    `| Reconnection attempts started: first / 50% / last | ${r.attemptsAt.map(t).join(" / ")} |`,
    `| Reconnection attempts / failed | ${fmt(r.attempts)} / ${fmt(r.failedAttempts)} |`,
    `| Connection errors: refused / reset / timed out / other | ${r.open.map((n) => fmt(n)).join(" / ")} |`,
    `| Refused connections started before / after the new server listened | ${fmt(r.refusedBefore)} / ${fmt(r.refusedAfter)} |`,
    `| Kernel: listen queue overflows / drops / SYN retransmissions | ${TCP_COUNTERS.map((k) => fmt(r.tcp[k])).join(" / ")} |`,
    `| Server RSS with ${fmt(r.connected)} clients, before the kill | ${fmt(r.before.rss / 1024, 1)} MiB |`,
    `| New server's peak RSS (VmHWM) | ${fmt(r.peakRss / 1024, 1)} MiB |`,
    `| New server's peak CPU (${SAMPLE_MS} ms samples) | ${fmt(r.peakCpu * 100)}% of a core |`,
    `| New server's CPU until the generators ended | ${fmt(r.serverCpu, 2)} s |`,
    `| Generators' CPU, same span | ${fmt(r.gensCpu, 2)} s |`,
    `| Other processes' CPU, same span (${cores} cores, ${fmt(r.wallS, 1)} s) | ${fmt(r.othersCpu, 2)} s |`,
    "",
  );
} else {
  lines.push(`**FAIL**: ${failure}`, "");
}
lines.push(
  ...(r
    ? [`Other processes used ${fmt(r.othersCpu, 2)} CPU seconds while the clients reconnected, the generators ${fmt(r.gensCpu, 2)}.`, ""]
    : []),
  machineLine({ node: true }),
);
if (writeSection(lines.join("\n"))) console.log("BENCHMARKS.md: ## Server: reconnect storm rewritten");
// A refused section (see benchmarks.cjs) set the exit code already.
process.exit(passed ? process.exitCode : 1);
