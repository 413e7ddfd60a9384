// No leaks: 1,000 connect/disconnect cycles in one page of headless Chromium leave nothing behind.
//
// The package is the debug build (SOCKEYE_DEBUG_PKG; when unset, this test builds it with
// `bash scripts/build-client.sh --debug-counters $CARGO_TARGET_DIR/pkg-debug-counters`): the same
// module as the npm build plus `debugCounters()`, the client's own counts of live `setTimeout`
// handles, closures handed to JS, WebSocket handlers, drivers and the core clients they hold
// (wasm-client/src/counters.rs).
// The page also counts from the outside what the client asks of the browser (an init script
// wraps `setTimeout`, `fetch`, `WebSocket` and the window's `addEventListener` before the package
// loads). After the cycles every count must be back to zero, the JS heap flat and the wasm linear
// memory no larger than after the warm-up (tolerances below, with their reasons).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

import { launchChromiumWithGc, openPage, packageDir, root, startSockeye } from "./support/servers.mjs";

const CYCLES = 1000;
const WARM_UP = 100;
// A collection every so many cycles: without it the wasm memory grows to hold the drivers of every
// dropped manager the JS collector has not got round to (it runs on JS heap pressure, which a
// driver's wasm memory does not add to), a high-water mark rather than a leak. (A driver closed
// for good releases its client at once, so what waits for the collector is its shell, about
// 0.9 KB: the last test measures it.)
const GC_EVERY = 50;
// The JS heap after a forced GC may end this much above where it was after the warm-up: 290 bytes
// a cycle. Keeping what one cycle makes (a Manager, a Socket, their Engine and emitters) costs
// about 1 KB a cycle, 0.9 MB over the 900 measured cycles (seen with a wrapper that kept every
// manager); one uncleared timeout a cycle, 0.6 MB (seen with a `clearTimeout` left out). What a
// clean run shows is V8's own drift (inline caches, code, the collector's bookkeeping): 40 to 50 KB.
const HEAP_TOLERANCE = 256 * 1024;
// The wasm memory never shrinks; it may grow by at most one 64 KiB page after the warm-up (the
// allocator's reach across fragmented free blocks), 73 bytes a cycle. A driver kept costs about
// 0.9 KB of it once closed (5.7 KB before its client was released at close): 900 of them, 13
// pages. A clean run shows no growth at all.
const WASM_TOLERANCE = 64 * 1024;

let browser;
let pkg;
before(async () => {
  if (!process.env.SOCKEYE_DEBUG_PKG) {
    const out = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "pkg-debug-counters");
    execFileSync("bash", ["scripts/build-client.sh", "--debug-counters", out], { cwd: root, stdio: "inherit" });
    process.env.SOCKEYE_DEBUG_PKG = out;
  }
  pkg = packageDir("SOCKEYE_DEBUG_PKG");
  browser = await launchChromiumWithGc();
});
after(() => browser?.close());

// Runs in the page before any of its scripts: counts what the page asks of the browser, with the
// originals kept in `__native` for the test's own waits (which must not count).
function instrument() {
  const native = {
    setTimeout: setTimeout.bind(window),
    clearTimeout: clearTimeout.bind(window),
    setInterval: setInterval.bind(window),
    clearInterval: clearInterval.bind(window),
    fetch: fetch.bind(window),
    WebSocket,
  };
  const timers = new Set();
  const listeners = [];
  const sockets = new Set();
  let fetches = 0;
  window.setTimeout = function (f, ms, ...args) {
    const id = native.setTimeout(
      (...a) => {
        timers.delete(id);
        return typeof f === "function" ? f(...a) : undefined;
      },
      ms,
      ...args,
    );
    timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => {
    timers.delete(id);
    native.clearTimeout(id);
  };
  window.setInterval = function (f, ms, ...args) {
    const id = native.setInterval(f, ms, ...args);
    timers.add(id);
    return id;
  };
  window.clearInterval = (id) => {
    timers.delete(id);
    native.clearInterval(id);
  };
  window.fetch = function (...args) {
    fetches++;
    const p = native.fetch(...args);
    const done = () => fetches--;
    p.then(done, done);
    return p;
  };
  window.WebSocket = class extends native.WebSocket {
    constructor(...args) {
      super(...args);
      sockets.add(this);
      super.addEventListener("close", () => sockets.delete(this));
    }
  };
  const add = window.addEventListener;
  const remove = window.removeEventListener;
  window.addEventListener = function (type, listener, ...rest) {
    listeners.push([type, listener]);
    return add.call(this, type, listener, ...rest);
  };
  window.removeEventListener = function (type, listener, ...rest) {
    const i = listeners.findIndex(([t, l]) => t === type && l === listener);
    if (i >= 0) listeners.splice(i, 1);
    return remove.call(this, type, listener, ...rest);
  };
  window.__native = native;
  // The window's listeners once the page has loaded (the package's `offline` one, Playwright's own)
  // are the baseline; the client must add none for good after that.
  let baseline;
  window.__baseline = () => (baseline = listeners.slice());
  /** What the page holds now, as seen from outside the client. */
  window.__live = () => ({
    timers: timers.size,
    fetches,
    webSockets: sockets.size,
    windowListeners: listeners.filter((l) => !baseline.includes(l)).map(([type]) => type),
    offlineListeners: listeners.filter(([type]) => type === "offline").length,
  });
}

/** Runs `count` cycles in the page, then waits until it is quiet: the counts it reached. */
function cycles(page, url, from, count) {
  return page.evaluate(
    async ({ url, from, count, GC_EVERY }) => {
      const { io } = sockeye;
      if (from === 0) window.__baseline();
      const modes = [{ transports: ["polling"] }, { transports: ["websocket"] }, {}];
      for (let i = from; i < from + count; i++) {
        if (i % GC_EVERY === 0 && i > from) {
          // The drivers of dropped managers are freed once the JS objects holding them are
          // collected (wasm-bindgen's FinalizationRegistry, a task after the collection).
          gc();
          await new Promise((r) => window.__native.setTimeout(r, 20));
        }
        // Half the managers close on `beforeunload`: a window listener while open, none after.
        const s = io(url, { forceNew: true, closeOnBeforeunload: i % 2 === 0, ...modes[i % 3] });
        if (i % 10 === 9) {
          // Given up while connecting: the requests and sockets in flight are let go.
          s.disconnect();
          continue;
        }
        await h.connected(s);
        if ((await s.emitWithAck("echo-ack", i)) !== i) throw new Error(`cycle ${i}: a wrong ack`);
        s.disconnect();
      }
      // Quiet: the client's counts at zero (closures of aborted requests go once they settle,
      // WebSockets once closed), nothing pending in the page.
      const { debugCounters } = await import("/sockeye/sockeye_client.js");
      const quiet = () => {
        const c = debugCounters();
        const live = window.__live();
        return c.timers + c.closures + c.listeners + live.timers + live.fetches + live.webSockets === 0;
      };
      const end = performance.now() + 10_000;
      while (!quiet() && performance.now() < end) await new Promise((r) => window.__native.setTimeout(r, 10));
      return { client: debugCounters(), page: window.__live() };
    },
    { url, from, count, GC_EVERY },
  );
}

/** Forces garbage collection until the drivers the page dropped are freed: the heap then. */
async function collect(page, cdp) {
  let counts;
  for (let i = 0; i < 10; i++) {
    await cdp.send("HeapProfiler.collectGarbage");
    // wasm-bindgen frees a dropped RawManager / RawSocket from a FinalizationRegistry callback,
    // which runs after the collection, as a task of its own.
    counts = await page.evaluate(async () => {
      await new Promise((r) => window.__native.setTimeout(r, 20));
      const { debugCounters } = await import("/sockeye/sockeye_client.js");
      return debugCounters();
    });
    if (counts.drivers === 0) break;
  }
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  return { ...counts, heap: usedSize };
}

// The client is what is measured: one server is enough (the official one would double the time).
const SERVERS = { "sockeye-server": startSockeye };

for (const [serverName, start] of Object.entries(SERVERS)) {
  test(`${CYCLES} connect/disconnect cycles against ${serverName} leave no timer, closure, listener or memory behind`, async (t) => {
    const server = await start(pkg);
    const context = await browser.newContext();
    try {
      await context.addInitScript(instrument);
      const page = await openPage(context, server);
      const cdp = await context.newCDPSession(page);
      const started = performance.now();

      const warm = await cycles(page, server.url, 0, WARM_UP);
      const base = await collect(page, cdp);
      const end = await cycles(page, server.url, WARM_UP, CYCLES - WARM_UP);
      const last = await collect(page, cdp);
      const ms = Math.round(performance.now() - started);

      t.diagnostic(`${CYCLES} cycles in ${ms} ms (a tenth given up while connecting; polling, websocket, upgrade in turn; half with closeOnBeforeunload)`);
      t.diagnostic(`after ${WARM_UP}: client ${JSON.stringify(warm.client)}, page ${JSON.stringify(warm.page)}`);
      t.diagnostic(`after ${CYCLES}: client ${JSON.stringify(end.client)}, page ${JSON.stringify(end.page)}`);
      t.diagnostic(
        `JS heap after GC: ${base.heap} -> ${last.heap} bytes (${last.heap - base.heap >= 0 ? "+" : ""}${last.heap - base.heap}); ` +
          `wasm memory ${base.wasmMemory} -> ${last.wasmMemory} bytes; drivers ${base.drivers} -> ${last.drivers}`,
      );

      for (const [when, counts] of [[`after ${WARM_UP} cycles`, warm], [`after ${CYCLES} cycles`, end]]) {
        // `clients`: every manager is closed for good, so none holds its client, collected or not.
        const { timers, closures, listeners, clients } = counts.client;
        assert.deepEqual(
          { timers, closures, listeners, clients },
          { timers: 0, closures: 0, listeners: 0, clients: 0 },
          `the client's counts ${when}`,
        );
        assert.deepEqual(
          counts.page,
          { timers: 0, fetches: 0, webSockets: 0, windowListeners: [], offlineListeners: 1 },
          `the page ${when}: nothing pending, no listener left but the package's one "offline" listener`,
        );
      }
      assert.equal(last.drivers, 0, "every driver freed once the page dropped its sockets");
      assert.ok(
        last.heap - base.heap <= HEAP_TOLERANCE,
        `the JS heap grew by ${last.heap - base.heap} bytes over ${CYCLES - WARM_UP} cycles (tolerance ${HEAP_TOLERANCE})`,
      );
      assert.ok(
        last.wasmMemory - base.wasmMemory <= WASM_TOLERANCE,
        `the wasm memory grew from ${base.wasmMemory} to ${last.wasmMemory} bytes after the warm-up`,
      );
      const errors = page.problems.filter((p) => p.startsWith("pageerror"));
      assert.deepEqual(errors, [], "no uncaught errors in the page");
    } finally {
      await context.close();
      await server.stop();
    }
  });
}

test("a socket the page no longer references keeps working through garbage collections, and is freed once closed", async () => {
  const server = await startSockeye(pkg);
  const context = await browser.newContext();
  try {
    const page = await openPage(context, server);
    const r = await page.evaluate(async (url) => {
      const { io } = sockeye;
      const { debugCounters } = await import("/sockeye/sockeye_client.js");
      const collect = async () => {
        gc();
        await h.sleep(20);
        gc();
        await h.sleep(20);
      };
      const got = [];
      // Only its listeners hold on to it; the driver's callbacks reach it weakly.
      let weak;
      (() => {
        const s = io(url, { forceNew: true, reconnectionDelay: 300, reconnectionDelayMax: 300 });
        s.on("news", (x) => got.push(x));
        s.on("connect", () => s.emit("join", "watchers", () => got.push("joined")));
        weak = new WeakRef(s);
      })();
      let other = await h.connected(io(url, { forceNew: true }));
      await h.until(() => got.includes("joined"), "joined");
      await collect();
      await other.emitWithAck("io-to-room", "watchers", "news", "after a collection");
      await h.until(() => got.includes("after a collection"), "news after a collection");
      // Cut off: a collection while the manager waits to reconnect.
      weak.deref()?.emit("drop-transport");
      await h.sleep(100);
      await collect();
      const alive = weak.deref() !== undefined;
      await h.until(() => got.filter((x) => x === "joined").length === 2, "joined again after the reconnection");
      await other.emitWithAck("io-to-room", "watchers", "news", "after the reconnection");
      await h.until(() => got.includes("after the reconnection"), "news after the reconnection");
      const before = debugCounters().drivers;
      // Closed for good, it goes with the next collection, its driver with it.
      weak.deref().disconnect();
      other.disconnect();
      other = null;
      await h.sleep(50);
      await collect();
      return { got, alive, before, gone: weak.deref() === undefined, after: debugCounters() };
    }, server.url);
    assert.deepEqual(r.got, ["joined", "after a collection", "joined", "after the reconnection"]);
    assert.equal(r.alive, true, "kept while reconnecting");
    assert.equal(r.before, 2);
    assert.equal(r.gone, true, "collected once closed");
    assert.deepEqual(
      { drivers: r.after.drivers, timers: r.after.timers, closures: r.after.closures, listeners: r.after.listeners },
      { drivers: 0, timers: 0, closures: 0, listeners: 0 },
    );
  } finally {
    await context.close();
    await server.stop();
  }
});

test("a manager closed for good releases its client at once, without a collection, and connects again on demand", async (t) => {
  const server = await startSockeye(pkg);
  const context = await browser.newContext();
  try {
    const page = await openPage(context, server);
    const r = await page.evaluate(async (url) => {
      const { io } = sockeye;
      const { debugCounters } = await import("/sockeye/sockeye_client.js");
      const kept = [];
      const start = debugCounters();
      // Every socket is kept, so that no collection can free a driver: what goes, the client
      // released itself.
      for (let i = 0; i < 200; i++) {
        const s = io(url, { forceNew: true, transports: i % 2 ? ["websocket"] : ["polling"] });
        s.on("connect", () => (s.connects = (s.connects ?? 0) + 1));
        await h.connected(s);
        if ((await s.emitWithAck("echo-ack", i)) !== i) throw new Error(`cycle ${i}: a wrong ack`);
        s.disconnect();
        kept.push(s);
      }
      await h.until(() => debugCounters().closures === 0, "the closures of the last cycle freed");
      const released = debugCounters();
      const s = kept[0];
      const before = { id: s.id, connected: s.connected, active: s.active, state: s.io._readyState, reconnecting: s.io._reconnecting };
      // Connected again: the listeners are those of before, the manager is the same.
      s.connect();
      await h.until(() => s.connects === 2, "connected again");
      const again = {
        clients: debugCounters().clients,
        state: s.io._readyState,
        transport: s.io.engine.transport?.name,
        id: typeof s.id,
        ack: await s.emitWithAck("echo-ack", "again"),
      };
      s.disconnect();
      await h.until(() => debugCounters().clients === 0, "released again");
      // A manager made with autoConnect: false, with a socket, holds no client until it connects.
      const lazy = io(url, { forceNew: true, autoConnect: false });
      const idle = debugCounters().clients;
      lazy.connect();
      await h.connected(lazy);
      const lazyAck = await lazy.emitWithAck("echo-ack", "lazy");
      // An emit while disconnected is buffered: that client is kept, and sends it on connect.
      lazy.disconnect();
      lazy.emit("echo-ack", "buffered", (x) => (lazy.buffered = x));
      const buffering = debugCounters().clients;
      lazy.connect();
      await h.until(() => lazy.buffered === "buffered", "the buffered emit acknowledged");
      lazy.disconnect();
      // Released once its last request settles (an aborted poll may settle after disconnect()).
      await h.until(() => debugCounters().clients === 0, "released at the end").catch(() => {});
      return { start, released, before, again, idle, lazyAck, buffering, end: debugCounters() };
    }, server.url);
    t.diagnostic(
      `200 closed managers kept: wasm memory ${r.start.wasmMemory} -> ${r.released.wasmMemory} bytes; ` +
        `counts ${JSON.stringify(r.released)}`,
    );
    assert.equal(r.released.drivers - r.start.drivers, 200, "the drivers are kept by their handles");
    assert.equal(r.released.clients, 0, "no client is held by a manager closed for good");
    assert.deepEqual(r.before, { id: undefined, connected: false, active: false, state: "closed", reconnecting: false });
    assert.deepEqual(r.again, { clients: 1, state: "open", transport: "polling", id: "string", ack: "again" });
    assert.equal(r.idle, 0, "a manager that never opened holds no client");
    assert.equal(r.lazyAck, "lazy");
    assert.equal(r.buffering, 1, "a buffered emit keeps its client");
    assert.equal(r.end.clients, 0);
    const errors = page.problems.filter((p) => p.startsWith("pageerror"));
    assert.deepEqual(errors, [], "no uncaught errors in the page");
  } finally {
    await context.close();
    await server.stop();
  }
});
