// The npm package as a user gets it: `npm pack` of the repository (pkg/ must be built:
// scripts/build-client.sh), installed from the tarball into a fresh project (offline: the package
// has no dependencies), then one app (src/main.js: `import { io } from "sockeye"`, an ack'd emit)
// bundled with esbuild, built with Vite, served by Vite's dev server, and loaded with no bundler at
// all (an import map in a static page). Chromium loads each against `sockeye-server` and against
// the official Node.js `socket.io` server.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import * as esbuild from "esbuild";
import * as vite from "vite";
import { Server } from "socket.io";

import { launchChromium, root, startSockeyeServer } from "../support/harness.mjs";

const STEP = 10_000;
const npm = (args, cwd) => execFileSync("npm", [...args, "--no-audit", "--no-fund"], { cwd, encoding: "utf8" });

let tmp;
let app;
let tarball;
let browser;

// The app: connects to the page's origin and asks for a nick (the chat demo's `nick`, which both
// servers below answer with `{ ok: true, nick }`), then reports to the test through `window`.
const MAIN = `import { io } from "sockeye";

const nick = new URL(location.href).searchParams.get("nick");
const socket = io();
socket.on("connect", async () => {
  try {
    const ack = await socket.timeout(5000).emitWithAck("nick", nick);
    window.result = { ack, id: socket.id };
  } catch (e) {
    window.result = { error: String(e) };
  }
});
`;

// No favicon request (its 404 would be a console error).
const HEAD = `<!doctype html><link rel="icon" href="data:,">`;

/** A free port of 127.0.0.1 (for Vite, whose `port: 0` means its default). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (!existsSync(path.join(root, "pkg", "sockeye_client_bg.wasm"))) {
    throw new Error("pkg/ is not built: run `bash scripts/build-client.sh` first");
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), "sockeye-package-"));
  // --ignore-scripts: pkg/ was just built; `prepack` would build it again.
  const [packed] = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], root));
  tarball = packed;

  app = path.join(tmp, "app");
  mkdirSync(path.join(app, "src"), { recursive: true });
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npm(["install", "--offline", path.join(tmp, packed.filename)], app);
  writeFileSync(path.join(app, "src", "main.js"), MAIN);

  // esbuild: the bundle, and the .wasm next to it (esbuild leaves `new URL(…, import.meta.url)`
  // alone, so the module is looked for beside the bundle).
  const out = path.join(app, "dist-esbuild");
  await esbuild.build({
    absWorkingDir: app,
    entryPoints: ["src/main.js"],
    bundle: true,
    format: "esm",
    outfile: path.join(out, "main.js"),
    logLevel: "error",
  });
  copyFileSync(createRequire(path.join(app, "package.json")).resolve("sockeye/sockeye_client_bg.wasm"),
    path.join(out, "sockeye_client_bg.wasm"));
  writeFileSync(path.join(out, "index.html"), `${HEAD}<script type="module" src="main.js"></script>`);

  // Vite: index.html at the project's root, as a Vite project has it.
  writeFileSync(path.join(app, "index.html"), `${HEAD}<script type="module" src="/src/main.js"></script>`);
  await vite.build({ root: app, configFile: false, logLevel: "error", base: "./", build: { outDir: "dist-vite" } });

  // No bundler: an import map names the package's entry point.
  writeFileSync(path.join(app, "plain.html"), `${HEAD}
<script type="importmap">{ "imports": { "sockeye": "/node_modules/sockeye/pkg/index.js" } }</script>
<script type="module" src="/src/main.js"></script>`);

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the tarball holds the package and nothing else", () => {
  assert.deepEqual(tarball.files.map((f) => f.path).sort(), [
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "package.json",
    "pkg/client.js",
    "pkg/debug.js",
    "pkg/index.d.ts",
    "pkg/index.js",
    "pkg/msgpack/client.js",
    "pkg/msgpack/index.d.ts",
    "pkg/msgpack/index.js",
    "pkg/msgpack/sockeye_msgpack.js",
    "pkg/msgpack/sockeye_msgpack_bg.wasm",
    "pkg/sockeye_client.js",
    "pkg/sockeye_client_bg.wasm",
  ]);
  const installed = JSON.parse(readFileSync(path.join(app, "node_modules/sockeye/package.json"), "utf8"));
  assert.equal(installed.type, "module");
  // The entry instantiates the wasm module on import and the API adds a global `offline`
  // listener: a bundler that took them for side-effect free would drop the instantiation.
  assert.deepEqual(installed.sideEffects, ["./pkg/index.js", "./pkg/client.js", "./pkg/msgpack/index.js", "./pkg/msgpack/client.js"]);
  assert.deepEqual(installed.exports["."], { types: "./pkg/index.d.ts", default: "./pkg/index.js" });
  assert.deepEqual(installed.dependencies ?? {}, {}, "no runtime dependencies");
});

/** Loads `url` in a new page and returns what the app reported. */
async function run(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => ["error", "warning"].includes(m.type()) && problems.push(`${m.type()}: ${m.text()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.result, null, { timeout: STEP }).catch((e) => {
      throw new Error(`${url}: no result: ${problems.join("; ")}`, { cause: e });
    });
    const result = await page.evaluate(() => window.result);
    assert.deepEqual(problems, [], `${url}: console errors or warnings`);
    return result;
  } finally {
    await context.close();
  }
}

const PAGES = {
  esbuild: "dist-esbuild/",
  vite: "dist-vite/",
  "no bundler": "plain.html",
};

/** The official socket.io server, serving the app's folder and answering `nick` as the demo does. */
async function startReference() {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const http = createServer((req, res) => {
    let file = path.join(app, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (file.endsWith("/")) file += "index.html";
    if (!file.startsWith(app + path.sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  const io = new Server(http);
  io.on("connection", (socket) => socket.on("nick", (nick, ack) => ack({ ok: true, nick })));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}/`,
    stop: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

const SERVERS = {
  "sockeye-server": () => startSockeyeServer(["--www", app, "--client-dir", path.join(app, "no-client-dir")]),
  "the official socket.io server": startReference,
};

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`against ${serverName}`, () => {
    let server;
    before(async () => (server = await start()));
    after(() => server?.stop());

    for (const [how, page] of Object.entries(PAGES)) {
      test(`${how}: the app connects and gets its ack`, async () => {
        const nick = how.replace(/\W/g, "-");
        const result = await run(`${server.url}${page}?nick=${nick}`);
        assert.deepEqual(result.ack, { ok: true, nick }, JSON.stringify(result));
        assert.match(result.id, /^[\w-]{20}$/);
      });
    }
  });
}

test("Vite's dev server serves the app (with optimizeDeps.exclude), proxied to sockeye-server", async () => {
  const server = await startSockeyeServer(["--www", app, "--client-dir", path.join(app, "no-client-dir")]);
  const dev = await vite.createServer({
    root: app,
    configFile: false,
    logLevel: "error",
    // Pre-bundling would copy the package into node_modules/.vite/ without its .wasm.
    optimizeDeps: { exclude: ["sockeye"] },
    server: {
      host: "127.0.0.1",
      port: await freePort(),
      strictPort: true,
      hmr: false,
      proxy: { "/socket.io": { target: server.url, ws: true } },
    },
  });
  try {
    await dev.listen();
    const result = await run(`${dev.resolvedUrls.local[0]}?nick=vite-dev`);
    assert.deepEqual(result.ack, { ok: true, nick: "vite-dev" }, JSON.stringify(result));
  } finally {
    await dev.close();
    await server.stop();
  }
});
