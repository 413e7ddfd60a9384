// The driver of scripts/bench-browser.sh: an echo loop in headless Chromium, Sockeye's npm package
// vs socket.io-client, against the servers whose URLs it is given; prints the section for
// BENCHMARKS.md as JSON lines of results, then writes it.
//
// Each run opens a fresh page that loads one client, connects over WebSocket only, warms up, then
// sends MESSAGES `echo` emits with an ack, WINDOW of them in flight at once (each ack sends the
// next), and measures:
//   - messages per second: MESSAGES / the loop's wall time (performance.now() in the page);
//   - CPU per message: the DevTools protocol's Performance.getMetrics TaskDuration (main-thread
//     task time) over the loop, divided by MESSAGES.
// Runs alternate between the clients, REPEAT times each per server; the table gives the median
// and the range (min-max).
//
// Environment: PKG (the sockeye package folder), SIO (socket.io-client's dist folder), SERVERS
// (`name=url,...`), MESSAGES, WINDOW, REPEAT, COMMAND (the command line, for the section).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { launchChromium } from "../../tests/support/harness.mjs";
import { page } from "./echo-page.mjs";

const root = path.resolve(fileURLToPath(import.meta.url), "../../..");
const require = createRequire(path.join(root, "package.json"));
const { writeSection, quietStart, machineLine, fmt } = require(path.join(root, "scripts/lib/benchmarks.cjs"));

const env = process.env;
const MESSAGES = Number(env.MESSAGES ?? 20000);
const WINDOW = Number(env.WINDOW ?? 16);
const REPEAT = Number(env.REPEAT ?? 7);
const WARMUP = 1000;
const servers = env.SERVERS.split(",").map((s) => s.split("="));
const clients = {
  sockeye: { label: "sockeye (npm package)", module: "/sockeye/index.js" },
  "socket.io-client": {
    label: `socket.io-client ${require("socket.io-client/package.json").version}`,
    module: "/sio/socket.io.esm.min.js",
  },
};


const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const files = { "/sockeye/": env.PKG, "/sio/": env.SIO };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/page.html") {
    res.writeHead(200, { "content-type": "text/html" });
    return res.end(page(clients[url.searchParams.get("client")].module));
  }
  for (const [prefix, dir] of Object.entries(files)) {
    if (!url.pathname.startsWith(prefix)) continue;
    const file = path.join(dir, path.basename(url.pathname));
    if (!fs.existsSync(file)) break;
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    return fs.createReadStream(file).pipe(res);
  }
  res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium();

async function once(client, url) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${origin}/page.html?client=${client}`);
  await tab.waitForFunction(() => window.ready === true);
  await tab.evaluate((u) => window.connect(u).then(() => null), url);
  await tab.evaluate(([n, w]) => window.loop(n, w), [WARMUP, WINDOW]);
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Performance.enable");
  const task = async () =>
    (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
  const before = await task();
  const ms = await tab.evaluate(([n, w]) => window.loop(n, w), [MESSAGES, WINDOW]);
  const after = await task();
  await context.close();
  return { rate: MESSAGES / (ms / 1000), cpu: ((after - before) * 1e6) / MESSAGES };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Other work on the machine skews both figures: after the builds and the browser's start, right
// before the runs, a quiet machine (see benchmarks.cjs); the section says the load.
await quietStart();
const rows = [];
for (const [serverName, url] of servers) {
  const results = Object.fromEntries(Object.keys(clients).map((c) => [c, []]));
  for (let r = 0; r < REPEAT; r++) {
    // Alternating, and starting with a different client each round, so drift hits both alike.
    const order = Object.keys(clients);
    if (r % 2) order.reverse();
    for (const client of order) {
      const result = await once(client, url);
      results[client].push(result);
      console.log(JSON.stringify({ server: serverName, client, ...result }));
    }
  }
  for (const [client, runs] of Object.entries(results)) {
    const rates = runs.map((r) => r.rate);
    const cpus = runs.map((r) => r.cpu);
    rows.push(
      `| ${serverName} | ${clients[client].label} | ${fmt(median(rates))} | ` +
        `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))} | ${fmt(median(cpus), 1)} | ` +
        `${fmt(Math.min(...cpus), 1)}–${fmt(Math.max(...cpus), 1)} |`,
    );
  }
}
const chromiumVersion = browser.version();
await browser.close();
server.close();

const written = writeSection(
  [
    "## Browser client: echo throughput and CPU per message",
    "",
    `Generated by \`${env.COMMAND}\`.`,
    "",
    "An echo loop in headless Chromium: one page per run loads one client, connects over WebSocket only",
    `(\`transports: ["websocket"]\`), warms up with ${fmt(WARMUP)} acknowledged emits, then sends ${fmt(MESSAGES)}`,
    `\`socket.emit("echo", {text, n, list}, ack)\` with ${WINDOW} in flight (each ack sends the next).`,
    `Messages per second: ${fmt(MESSAGES)} / the loop's wall time. CPU per message: the DevTools protocol's`,
    "`Performance.getMetrics` `TaskDuration` (main-thread task time) over the loop / " + fmt(MESSAGES) + ", in",
    `microseconds. ${REPEAT} runs per client and server, alternating clients; median and range (min–max).`,
    "Both clients run the same page code through the same `io()` API; the server acknowledges with the",
    "arguments. The sockeye server is the release build of `native-server/examples/wasm-peer.rs`; the",
    "Node one is `wasm-client/tests/support/server.mjs` (the official `socket.io` package). Server,",
    "browser and script share the machine's cores, and other work on it skews both figures (see the load",
    "below): compare medians within one run.",
    "",
    "| server | client | msg/s (median) | msg/s (range) | CPU µs/msg (median) | CPU µs/msg (range) |",
    "|---|---|---:|---:|---:|---:|",
    ...rows,
    "",
    machineLine({ node: true }),
    `Browser: Chromium ${chromiumVersion} (headless).`,
  ].join("\n"),
);
if (written) console.log("bench-browser: BENCHMARKS.md section written");
