// The program behind scripts/bench-memory.sh: memory stays flat over CYCLES (default 100,000)
// connect/emit/disconnect cycles, sampled every SAMPLE_EVERY (default 10,000):
//   - server: `sockeye-load --workload cycle` (connect, CONNECT `/`, emit `echo-ack` with an ack,
//     `socket.disconnect()`), CONCURRENCY slots at a time, against the release build of the interop
//     server (SOCKEYE_INTEROP_SERVER, jemalloc); its RSS after each batch, once its session count is
//     back to zero and jemalloc has returned freed pages;
//   - browser: the npm package (SOCKEYE_PKG) in headless Chromium, PAGE_CONCURRENCY loops in one
//     page each doing io(url, { forceNew: true }) -> connect -> emitWithAck -> disconnect; the JS
//     heap (CDP Runtime.getHeapUsage after HeapProfiler.collectGarbage) and the wasm instance's
//     memory.buffer.byteLength after each batch.
// Pass: each figure at the end within 10% of its value after the first batch, and no cycle failed.
// PART=server or PART=browser runs one part; the other's subsection is kept as BENCHMARKS.md has it
// (from an earlier run). Writes the `## Memory: 100,000 cycles` section of BENCHMARKS.md; exits 1
// when a check fails.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import { launchChromium } from "../../tests/support/harness.mjs";
import { openPage, packageDir, startSockeye } from "../../tests/browser/support/servers.mjs";

const require = createRequire(import.meta.url);
const { writeSection, quietStart, machineLine, fmt, FILE } = require("./benchmarks.cjs");

const CYCLES = Number(process.env.CYCLES ?? 100_000);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY ?? 10_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
// Chromium opens at most 6 HTTP/1.1 connections to one host; a polling socket holds up to two (its
// GET and its POST) until it upgrades: 3 loops never wait for a connection (16 did, and their
// CONNECTs timed out).
const PAGE_CONCURRENCY = Number(process.env.PAGE_CONCURRENCY ?? 3);
const PART = process.env.PART ?? "all";
const TOLERANCE = 0.1;
// jemalloc gives freed pages back to the system 1 s after they were freed (dirty_decay_ms in
// .cargo/config.toml), from a background thread on its own schedule: RSS is read 3 s after the
// last session went (as scripts/bench-vanish.sh does).
const SETTLE_MS = 3000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The check of a series of samples: the last within TOLERANCE of the first. */
function check(name, values) {
  const first = values[0];
  const last = values.at(-1);
  const growth = last / first - 1;
  return { name, first, last, growth, ok: values.length > 1 && Math.abs(growth) <= TOLERANCE };
}

// ---- server ----

async function serverPart() {
  const child = spawn(process.env.SOCKEYE_INTEROP_SERVER, ["--port", "0", "--exit-with-stdin"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (log = (log + d).slice(-4000)));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (c) => reject(new Error(`the server exited (${c}): ${log}`)));
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
  });
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]);
  const stats = async () => (await fetch(`${url}/stats`)).json();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "sockeye-memory-"));
  const rows = [];
  let failure = null;
  try {
    const rss0 = rss();
    for (let done = 0; done < CYCLES; ) {
      const count = Math.min(SAMPLE_EVERY, CYCLES - done);
      const json = path.join(tmp, "summary.json");
      const started = performance.now();
      const code = await new Promise((resolve) => {
        const load = spawn(
          process.env.SOCKEYE_LOAD,
          ["--workload", "cycle", "--url", url, "--clients", String(CONCURRENCY), "--cycles", String(count),
            "--warmup", "0", "--ramp", "100000", "--json", json, "--quiet"],
          { stdio: ["ignore", "ignore", "inherit"] },
        );
        load.once("exit", resolve);
      });
      const ms = performance.now() - started;
      const s = JSON.parse(readFileSync(json, "utf8"));
      done += count;
      const cycles = s.count;
      const errors = s.errors + s.open_errors.refused + s.open_errors.reset + s.open_errors.timed_out + s.open_errors.other;
      // Back to zero sessions and sockets, then the allocator's decay.
      const limit = performance.now() + 10_000;
      let st = await stats();
      while ((st.clients > 0 || st.sockets > 0) && performance.now() < limit) {
        await sleep(20);
        st = await stats();
      }
      await sleep(SETTLE_MS);
      const row = { done, cycles, acked: s.acked, errors, rate: (cycles / ms) * 1000, left: st, rss: rss() };
      rows.push(row);
      console.log(
        `server: ${fmt(done)} cycles: ${fmt(row.rate)}/s, ${fmt(cycles)} completed, ${fmt(s.acked)} acks, ${errors} errors, ` +
          `${st.clients} sessions / ${st.sockets} sockets left, RSS ${fmt(row.rss / 1024, 1)} MiB`,
      );
      if (code !== 0) failure ??= `sockeye-load exited with ${code}`;
      if (errors > 0 || cycles !== count || s.acked !== count) failure ??= `batch ending at ${done}: ${cycles} of ${count} cycles, ${s.acked} acks, ${errors} errors`;
      if (st.clients > 0 || st.sockets > 0) failure ??= `${st.clients} sessions left after ${done} cycles`;
    }
    const c = check("server RSS", rows.map((r) => r.rss));
    if (!c.ok) failure ??= `RSS at the end is ${fmt(c.growth * 100, 1)}% off RSS after the first ${fmt(SAMPLE_EVERY)}`;
    return { rows, checks: [c], failure, rss0 };
  } catch (e) {
    return { rows, checks: [], failure: e.message };
  } finally {
    child.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- browser ----

// Runs in the page before its scripts: keeps the wasm instance's memory (the package instantiates
// its module itself and does not expose it).
function captureWasmMemory() {
  const keep = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    // The build shortens export names: the memory is whichever export is one.
    const memory = Object.values(instance?.exports ?? {}).find((v) => v instanceof WebAssembly.Memory);
    if (memory) window.__wasmMemory = memory;
    return result;
  };
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (...args) => streaming.apply(WebAssembly, args).then(keep);
  const plain = WebAssembly.instantiate;
  WebAssembly.instantiate = (...args) => plain.apply(WebAssembly, args).then(keep);
}

/** `count` cycles in `loops` concurrent loops of the page; resolves with the failures. */
function pageCycles(page, url, from, count, loops) {
  return page.evaluate(
    async ({ url, from, count, loops }) => {
      const { io } = sockeye;
      let next = from;
      const failures = [];
      const loop = async () => {
        while (next < from + count) {
          const i = next++;
          const s = io(url, { forceNew: true });
          try {
            await h.connected(s);
            const got = await s.timeout(5000).emitWithAck("echo-ack", i);
            if (got !== i) throw new Error(`a wrong ack: ${got}`);
          } catch (e) {
            if (failures.length < 10) failures.push(`cycle ${i}: ${e.message}`);
            else failures.push("");
          } finally {
            s.disconnect();
          }
        }
      };
      await Promise.all(Array.from({ length: loops }, loop));
      return failures;
    },
    { url, from, count, loops },
  );
}

/** The JS heap after collections (freed drivers go in FinalizationRegistry tasks after one). */
async function measure(page, cdp) {
  for (let i = 0; i < 3; i++) {
    await cdp.send("HeapProfiler.collectGarbage");
    await page.waitForTimeout(50);
  }
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  const wasm = await page.evaluate(() => window.__wasmMemory?.buffer.byteLength ?? null);
  return { heap: usedSize, wasm };
}

async function browserPart() {
  const pkg = packageDir();
  const server = await startSockeye(pkg);
  const browser = await launchChromium();
  const rows = [];
  let failure = null;
  try {
    const context = await browser.newContext();
    await context.addInitScript(captureWasmMemory);
    const page = await openPage(context, server);
    const cdp = await context.newCDPSession(page);
    const start = await measure(page, cdp);
    if (start.wasm === null) throw new Error("the page's wasm memory was not found");
    for (let done = 0; done < CYCLES; ) {
      const count = Math.min(SAMPLE_EVERY, CYCLES - done);
      const started = performance.now();
      const failures = await pageCycles(page, server.url, done, count, PAGE_CONCURRENCY);
      const ms = performance.now() - started;
      done += count;
      // Quiet: what the last disconnects close has closed.
      await page.waitForTimeout(500);
      const m = await measure(page, cdp);
      const row = { done, rate: (count / ms) * 1000, failed: failures.length, ...m };
      rows.push(row);
      console.log(
        `browser: ${fmt(done)} cycles: ${fmt(row.rate)}/s, ${failures.length} failed, JS heap ${fmt(m.heap / 1024)} KiB, ` +
          `wasm memory ${fmt(m.wasm / 1024)} KiB`,
      );
      if (failures.length) failure ??= `${failures.length} cycles failed: ${failures.filter(Boolean).slice(0, 3).join("; ")}`;
      const problems = page.problems.filter((p) => p.startsWith("pageerror"));
      if (problems.length) failure ??= problems.slice(0, 3).join("; ");
    }
    const checks = [check("JS heap", rows.map((r) => r.heap)), check("wasm memory", rows.map((r) => r.wasm))];
    for (const c of checks) {
      if (!c.ok) failure ??= `${c.name} at the end is ${fmt(c.growth * 100, 1)}% off its value after the first ${fmt(SAMPLE_EVERY)}`;
    }
    await context.close();
    return { rows, checks, failure, start };
  } catch (e) {
    return { rows, checks: [], failure: e.message };
  } finally {
    await browser.close();
    await server.stop().catch(() => {});
  }
}

// After the builds, right before the runs: a quiet machine (see benchmarks.cjs).
await quietStart();
const server = PART === "browser" ? null : await serverPart();
const browser = PART === "server" ? null : await browserPart();
const failures = [server?.failure && `server: ${server.failure}`, browser?.failure && `browser: ${browser.failure}`].filter(Boolean);
const passed = failures.length === 0;
console.log(passed ? "memory: PASS" : `memory: FAIL: ${failures.join("; ")}`);

const HEADING = "## Memory: 100,000 cycles";
/**
 * The lines of subsection `### name` of this section as BENCHMARKS.md has it now (up to the next
 * subsection or the section's closing lines), for a part not run this time; null when missing.
 */
function keptSubsection(name) {
  let lines;
  try {
    lines = readFileSync(FILE, "utf8").split("\n");
  } catch {
    return null;
  }
  const top = lines.indexOf(HEADING);
  if (top === -1) return null;
  const start = lines.findIndex((l, i) => i > top && l === `### ${name}`);
  const next = lines.findIndex((l, i) => i > top && l.startsWith("## "));
  if (start === -1 || (next !== -1 && start > next)) return null;
  let end = lines.findIndex((l, i) => i > start && /^(## |### |The machine is shared|Rates vary|Machine: )/.test(l));
  if (end === -1) end = lines.length;
  return lines.slice(start + 1, end);
}

const verdict = (part) => (part.failure ? `**FAIL**: ${part.failure}` : "**PASS**");
const pct = (c) => `${c.growth >= 0 ? "+" : ""}${fmt(c.growth * 100, 1)}%`;
const lines = [
  HEADING,
  "",
  `Generated by \`scripts/bench-memory.sh\`: ${fmt(CYCLES)} connect/emit/disconnect cycles against the server and`,
  `as many in the browser client, memory sampled every ${fmt(SAMPLE_EVERY)}. Pass: every cycle completed, and each`,
  `figure at the end within ${TOLERANCE * 100}% of its value after the first ${fmt(SAMPLE_EVERY)}.` +
    (PART === "browser" || PART === "server"
      ? ` Last run: \`PART=${PART}\`; the ${PART === "browser" ? "server's" : "browser's"} subsection is from an earlier run.`
      : ""),
  "",
  "### Server",
  "",
];
if (server) {
  lines.push(
    `\`sockeye-load --workload cycle\`, ${CONCURRENCY} cycles at a time: each connects over WebSocket, CONNECTs to`,
    "`/`, emits `echo-ack` with an ack and waits for it, then disconnects (`socket.disconnect()`: DISCONNECT,",
    "then the manager closes the connection). The server is the release build of",
    "`native-server/examples/interop.rs` on jemalloc, as `npm start` builds the binary (freed pages go back to",
    `the system after 1 s); its RSS is read after each batch, once its sessions are back to zero, ${SETTLE_MS / 1000} s later.`,
    "",
    `Result: ${verdict(server)}` + (server.checks[0] ? `; RSS ${fmt(server.checks[0].first / 1024, 1)} MiB after ${fmt(SAMPLE_EVERY)}, ${fmt(server.checks[0].last / 1024, 1)} MiB at the end (${pct(server.checks[0])}).` : ""),
    "",
    "| Cycles | Cycles/s | Acks | Errors | Sessions left | RSS |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...server.rows.map((r) => `| ${fmt(r.done)} | ${fmt(r.rate)} | ${fmt(r.acked)} | ${r.errors} | ${r.left.clients} | ${fmt(r.rss / 1024, 1)} MiB |`),
    "",
    `(RSS before the first cycle: ${server.rss0 ? `${fmt(server.rss0 / 1024, 1)} MiB` : "-"}.)`,
    "",
  );
} else {
  lines.push(...(keptSubsection("Server") ?? ["", "Not run this time (`PART=browser`).", ""]).slice(1));
}
lines.push("### Browser client", "");
if (browser) {
  lines.push(
    `The npm package (built by \`scripts/build-client.sh\`) in headless Chromium, ${PAGE_CONCURRENCY} loops at a time in one page,`,
    "each cycle `io(url, { forceNew: true })` (the reference's default transports: polling, then the upgrade) ->",
    "`connect` -> `emitWithAck(\"echo-ack\", i)` -> `disconnect()`, against the same interop server. After each batch:",
    "the JS heap (CDP `Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`) and the wasm instance's",
    "`memory.buffer.byteLength` (the page keeps the instance the package makes; wasm memory never shrinks, so",
    "this is its high-water mark). No collection is forced between the cycles.",
    "",
    `Result: ${verdict(browser)}` +
      browser.checks.map((c) => `; ${c.name} ${fmt(c.first / 1024)} KiB after ${fmt(SAMPLE_EVERY)}, ${fmt(c.last / 1024)} KiB at the end (${pct(c)})`).join("") + ".",
    "",
    "| Cycles | Cycles/s | Failed | JS heap | wasm memory |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...browser.rows.map((r) => `| ${fmt(r.done)} | ${fmt(r.rate)} | ${r.failed} | ${fmt(r.heap / 1024)} KiB | ${fmt(r.wasm / 1024)} KiB |`),
    "",
    browser.start ? `(Before the first cycle: JS heap ${fmt(browser.start.heap / 1024)} KiB, wasm memory ${fmt(browser.start.wasm / 1024)} KiB.)` : "",
    "",
  );
} else {
  lines.push(...(keptSubsection("Browser client") ?? ["", "Not run this time (`PART=server`).", ""]).slice(1));
}
lines.push(
  "Rates vary with the machine's load (below); memory figures should not.",
  "",
  machineLine({ node: true }),
);
if (writeSection(lines.join("\n"))) console.log("BENCHMARKS.md: ## Memory: 100,000 cycles rewritten");
// A refused section (see benchmarks.cjs) set the exit code already.
process.exit(passed ? process.exitCode : 1);
