// Where the browser client's CPU per message goes: the echo loop of scripts/lib/bench-browser.mjs
// (emit with an ack, WINDOW in flight) in headless Chromium against the official Node socket.io
// server (wasm-client/tests/support/server.mjs), under the DevTools protocol's CPU profiler, with
// the self time summed by category and by function.
//
//   bash scripts/build-client.sh /tmp/ws-pkg
//   PKG=/tmp/ws-pkg node scripts/lib/profile-browser.mjs [sockeye|socket.io-client ...]
//
// Environment: PKG (the sockeye package folder; default pkg/), PKG_B (a second sockeye package,
// the client "sockeye-b", to compare two builds in one run), MESSAGES (default 20000), WINDOW
// (16), TOP (functions listed per client, 25), CALLERS (a function name: prints the call paths
// that lead to it, with their self time), ROUNDS (runs per client, in turn; default 1: the
// comparison takes each client's median), TASKS=1 (no profile: each run's main-thread task time
// per message instead). Clients: those named (default: all).
//
// It prints shares, not times: relative shares hold on a busy machine, absolute times do not (the
// timing benchmark is scripts/bench-browser.sh). Categories, by the frame's script and name:
//   wasm         a function of the wasm module (wasm:// frames)
//   glue         wasm-bindgen's glue, sockeye_client.js (string encode/decode, closures, imports)
//   wrapper      the package's client.js / index.js
//   sio          socket.io-client's bundle
//   page         the benchmark page's own code
//   native:NAME  a frame with no script: a builtin or a platform function (JSON.parse, send ...)
//   (garbage collector), (program), (idle) as V8 reports them
// (program) (the browser's own work outside JS: the event loop, the network) and the WebSocket's
// `send` swing with the machine's load, so it also prints the client's own work (everything
// else) in µs per message, its shares, and, for several clients, each one's own work against the
// first one's: compare clients within one run.
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import { launchChromium } from "../../tests/support/harness.mjs";
import { servePage } from "./echo-page.mjs";

const root = path.resolve(fileURLToPath(import.meta.url), "../../..");
const env = process.env;
const PKG = path.resolve(env.PKG ?? path.join(root, "pkg"));
const SIO = path.join(root, "node_modules/socket.io-client/dist");
const MESSAGES = Number(env.MESSAGES ?? 20000);
const WINDOW = Number(env.WINDOW ?? 16);
const TOP = Number(env.TOP ?? 25);
const modules = { sockeye: "/sockeye/index.js", "socket.io-client": "/sio/socket.io.esm.min.js" };
const roots = { "/sockeye/": PKG, "/sio/": SIO };
// PKG_B: a second sockeye package, the client "sockeye-b", to compare two builds in one run.
if (env.PKG_B) {
  modules["sockeye-b"] = "/sockeye-b/index.js";
  roots["/sockeye-b/"] = path.resolve(env.PKG_B);
}
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(modules);
// ROUNDS: runs of each client, in turn; the comparison takes each client's median.
const ROUNDS = Number(env.ROUNDS ?? 1);

const { server, origin } = await servePage((client) => modules[client], roots);

// The reference server; it exits when its standard input closes.
const peer = spawn(process.execPath, [path.join(root, "wasm-client/tests/support/server.mjs")], {
  stdio: ["pipe", "pipe", "inherit"],
});
const peerUrl = await new Promise((resolve, reject) => {
  let out = "";
  peer.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
    const m = /PORT (\d+)/.exec(out);
    if (m) resolve(`http://127.0.0.1:${m[1]}`);
  });
  peer.once("exit", () => reject(new Error("server.mjs exited")));
});

function category(frame) {
  const { url, functionName } = frame;
  if (url.startsWith("wasm://") || /\.wasm$/.test(url)) return "wasm";
  if (url.endsWith("/sockeye_client.js")) return "glue";
  if (url.endsWith("/client.js") || url.endsWith("/index.js")) return "wrapper";
  if (url.startsWith(`${origin}/sio/`)) return "sio";
  if (url.includes("/page.html")) return "page";
  if (functionName.startsWith("(")) return functionName;
  return `native:${functionName || "(anonymous)"}`;
}

// TASKS=1: no profiler; the main thread's task time over the loop (the DevTools protocol's
// TaskDuration, what scripts/bench-browser.sh reports), per message, to compare two builds (PKG_B).
const ambient = new Set(["(program)", "native:send", "(garbage collector)"]);
const ownPerMessage = {};
const browser = await launchChromium();
const order = Array.from({ length: ROUNDS }, () => wanted).flat();
for (const client of order) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${origin}/page.html?client=${client}`);
  await tab.waitForFunction(() => window.ready === true);
  await tab.evaluate((u) => window.connect(u).then(() => null), peerUrl);
  await tab.evaluate(([n, w]) => window.loop(n, w), [1000, WINDOW]);
  if (env.TASKS) {
    const cdp = await context.newCDPSession(tab);
    await cdp.send("Performance.enable");
    const task = async () =>
      (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
    const before = await task();
    await tab.evaluate(([n, w]) => window.loop(n, w), [MESSAGES, WINDOW]);
    (ownPerMessage[client] ??= []).push(((await task()) - before) * 1e6 / MESSAGES);
    await context.close();
    continue;
  }
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  await tab.evaluate(([n, w]) => window.loop(n, w), [MESSAGES, WINDOW]);
  const { profile } = await cdp.send("Profiler.stop");
  await context.close();

  // Self time per node: the samples' time deltas, credited to the sampled node.
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byCategory = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    if (!t) continue;
    const cat = category(node.callFrame);
    if (cat === "(idle)") continue;
    total += t;
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + t);
    const f = node.callFrame;
    const key = `${cat}  ${f.functionName || "(anonymous)"}${f.url && cat !== "wasm" ? ` ${path.basename(f.url)}:${f.lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  }
  if (env.CALLERS) {
    const parent = new Map();
    for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node);
    const paths = new Map();
    for (const node of profile.nodes) {
      if (node.callFrame.functionName !== env.CALLERS || !self.get(node.id)) continue;
      const path = [];
      for (let n = parent.get(node.id); n && path.length < 8; n = parent.get(n.id)) {
        path.push(n.callFrame.functionName || "(anonymous)");
      }
      const key = path.join(" < ");
      paths.set(key, (paths.get(key) ?? 0) + self.get(node.id));
    }
    console.log(`-- callers of ${env.CALLERS}`);
    for (const [key, t] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${(t / 1000).toFixed(1)} ms  ${key}`);
  }
  const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  console.log(`\n== ${client}: ${MESSAGES} messages, busy self time ${(total / 1000).toFixed(0)} ms (${((total / MESSAGES)).toFixed(1)} µs/msg; shares matter, not times)`);
  console.log("-- by category");
  for (const [cat, t] of sorted(byCategory)) console.log(`${pct(t)}  ${cat}`);
  const own = [...byCategory].filter(([cat]) => !ambient.has(cat)).reduce((n, [, t]) => n + t, 0);
  (ownPerMessage[client] ??= []).push(own / MESSAGES);
  console.log(`-- own work (without ${[...ambient].join(", ")}): ${(own / MESSAGES).toFixed(1)} µs/msg`);
  for (const [cat, t] of sorted(byCategory)) {
    if (!ambient.has(cat)) console.log(`${((100 * t) / own).toFixed(1).padStart(5)}%  ${cat}`);
  }
  console.log(`-- top ${TOP} functions`);
  for (const [key, t] of sorted(byFunction).slice(0, TOP)) console.log(`${pct(t)}  ${key}`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
if (wanted.length > 1) {
  const what = env.TASKS ? "main-thread task time" : "own work";
  console.log(`\n-- ${what} per message (median of ${ROUNDS}), against the first client`);
  for (const client of wanted) {
    const m = median(ownPerMessage[client]);
    const all = ownPerMessage[client].map((x) => x.toFixed(1)).join(" ");
    console.log(`${(m / median(ownPerMessage[wanted[0]])).toFixed(2)}x  ${m.toFixed(1)} µs/msg  ${client}  (${all})`);
  }
}
await browser.close();
server.close();
peer.stdin.end();
