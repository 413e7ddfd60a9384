// The classic-script build (pkg/classic/, made by `bash scripts/build-client.sh pkg`) as the
// `sockeye-server` binary serves it at /socket.io/socket.io.js, in headless Chromium:
//   - the oldest recipe, `<script src="/socket.io/socket.io.js"></script>` then `io()`, connects
//     and gets an ack, with every call made before the WebAssembly module is ready;
//   - the debug log: `localStorage.debug` turns on console messages under socket.io-client's
//     namespaces, and without it there are none.
// Needs target/debug/sockeye-server (`cargo build -p sockeye-server --bins`).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { launchChromium, startSockeyeServer } from "../support/harness.mjs";
import { packageDir } from "./support/servers.mjs";

const pkg = packageDir();
if (!existsSync(path.join(pkg, "classic/socket.io.js"))) {
  throw new Error(`${pkg}/classic/socket.io.js not found: run \`bash scripts/build-client.sh ${pkg}\``);
}

// The recipe, as socket.io's documentation gives it; what follows it only records what happens.
// The demo's `nick` request answers with an ack.
const RECIPE = `<!doctype html>
<script src="/socket.io/socket.io.js"></script>
<script>
  const socket = io();
</script>
<script>
  window.seen = { events: [], typeofIo: typeof io, connectedAtFirst: socket.connected };
  socket.on("connect", () => seen.events.push("connect:" + socket.id));
  socket.io.on("open", () => seen.events.push("manager open"));
  socket.emit("nick", "alice", (answer) => (seen.ack = answer));
  socket.timeout(5000).emit("nick", "bob", (err, answer) => (seen.timedAck = err ? String(err) : answer));
  socket.emitWithAck("nick", "carol").then((answer) => (seen.promised = answer));
  const other = new io.Manager({ forceNew: true }).socket("/");
  other.on("connect", () => (seen.other = other.connected));
  seen.instances = [socket instanceof io.Socket, other instanceof io.Socket, io.protocol, io.connect === io];
</script>
`;

let dir, server, browser;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "sockeye-classic-"));
  writeFileSync(path.join(dir, "index.html"), RECIPE);
  [server, browser] = await Promise.all([
    startSockeyeServer(["--www", dir, "--client-dir", pkg]),
    launchChromium(),
  ]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens the recipe's page in a new context (with `init(arg)` run before it); page and console. */
async function open(init, arg) {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init, arg);
  const page = await context.newPage();
  const problems = [];
  const debug = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  // The browser asks for /favicon.ico, which the page does not have: any other 404 is a problem.
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && problems.push(`${r.status()} ${r.url()}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`);
    if (m.type() === "debug") debug.push(m.text());
  });
  await page.goto(server.url);
  return { context, page, problems, debug };
}

describe("the classic script at /socket.io/socket.io.js", () => {
  test("the oldest recipe connects and gets acks, its calls made before the module is ready", async () => {
    const { context, page, problems } = await open();
    try {
      await page
        .waitForFunction(() => seen.ack && seen.timedAck && seen.promised && seen.other, null, { timeout: 10_000 })
        .catch((e) => {
          throw new Error(`${e.message}\n${problems.join("\n")}`, { cause: e });
        });
      const seen = await page.evaluate(() => window.seen);
      assert.equal(seen.typeofIo, "function");
      assert.equal(seen.connectedAtFirst, false, "io() answered before the module was ready");
      assert.deepEqual(seen.instances, [true, true, 5, true]);
      assert.match(seen.events.find((e) => e.startsWith("connect:")) ?? "", /^connect:[\w-]{20}$/);
      assert.ok(seen.events.includes("manager open"), JSON.stringify(seen.events));
      // By callback, with a timeout, by promise: each the server's answer to its own request.
      assert.deepEqual(seen.ack, { ok: true, nick: "alice" });
      assert.deepEqual(seen.timedAck, { ok: true, nick: "bob" });
      assert.deepEqual(seen.promised, { ok: true, nick: "carol" });
      assert.equal(seen.other, true);
      // Once ready, the stand-in forwards: getters read the real socket.
      const now = await page.evaluate(() => ({ connected: socket.connected, id: socket.id, nsp: socket.nsp }));
      assert.equal(now.connected, true);
      assert.equal(now.nsp, "/");
      assert.equal(`connect:${now.id}`, seen.events.find((e) => e.startsWith("connect:")));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test("its source map and module are served beside it", async () => {
    const js = await fetch(new URL("/socket.io/socket.io.js", server.url));
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "application/javascript; charset=utf-8");
    const text = await js.text();
    assert.match(text, /sourceMappingURL=socket\.io\.js\.map/);
    const etag = js.headers.get("etag");
    const again = await fetch(new URL("/socket.io/socket.io.js", server.url), { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
    const map = await (await fetch(new URL("/socket.io/socket.io.js.map", server.url))).json();
    assert.equal(map.version, 3);
    assert.ok(map.sources.some((s) => s.endsWith("classic.js")), map.sources.join());
    const wasm = await fetch(new URL("/socket.io/socket.io.wasm", server.url));
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  });
});

describe("the debug log (localStorage.debug)", () => {
  /** The console.debug messages of the recipe's page once its acks came, with `debug` set. */
  async function debugMessages(debug) {
    const { context, page, problems, debug: messages } = await open(
      debug === undefined ? undefined : (value) => localStorage.setItem("debug", value),
      debug,
    );
    try {
      await page.waitForFunction(() => seen.ack && seen.promised && seen.other, null, { timeout: 10_000 });
      assert.deepEqual(problems, []);
      return messages;
    } finally {
      await context.close();
    }
  }

  test("socket.io-client:* and engine.io-client:* log under the reference's namespaces", async () => {
    const messages = await debugMessages("socket.io-client:*,engine.io-client:*");
    const namespaces = new Set(messages.map((m) => m.split(" ")[0]));
    assert.deepEqual(
      [...namespaces].sort(),
      ["engine.io-client:socket", "socket.io-client:manager", "socket.io-client:socket"],
      messages.join("\n"),
    );
    assert.ok(messages.some((m) => m.startsWith("socket.io-client:manager opening")), messages.join("\n"));
    assert.ok(messages.some((m) => m.startsWith("socket.io-client:manager open")));
    assert.ok(messages.some((m) => m.startsWith("socket.io-client:socket emitting packet")));
    assert.ok(messages.some((m) => m.startsWith("socket.io-client:socket connect")));
    assert.ok(messages.some((m) => m.startsWith("engine.io-client:socket packet")), "packets received");
  });

  test("patterns: one namespace, an exclusion; and nothing when unset", async () => {
    const manager = await debugMessages("socket.io-client:manager");
    assert.ok(manager.length > 0);
    assert.ok(manager.every((m) => m.startsWith("socket.io-client:manager ")), manager.join("\n"));
    const excluded = await debugMessages("*,-engine.io-client:*, -socket.io-client:socket");
    assert.ok(excluded.length > 0);
    assert.ok(excluded.every((m) => m.startsWith("socket.io-client:manager ")), excluded.join("\n"));
    assert.deepEqual(await debugMessages(undefined), []);
    assert.deepEqual(await debugMessages("express:*"), []);
  });
});
