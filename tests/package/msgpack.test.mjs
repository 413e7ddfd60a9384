// The package's `sockeye/msgpack` module as a user gets it: `npm pack` of the repository (pkg/ must
// be built: scripts/build-client.sh), installed from the tarball into a fresh project, then two apps
// that speak the MessagePack parser:
//   - direct.js: `import { io } from "sockeye/msgpack"`;
//   - shaped.js: socket.io-client's form, `import * as parser from "sockeye/msgpack"` and
//     `io({ parser })` with `io` from `sockeye` (both modules in one app: their files have names of
//     their own, so both .wasm files can sit beside one esbuild bundle);
// each bundled with esbuild, built with Vite and loaded with no bundler (an import map), in
// Chromium, against `sockeye-server --parser msgpack` and the official `socket.io` server with
// socket.io-msgpack-parser (a JSON client could not talk to either). And the TypeScript
// declarations of both forms, as an application compiles them.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import * as esbuild from "esbuild";
import * as vite from "vite";
import ts from "typescript";
import { Server } from "socket.io";

import { launchChromium, root, startSockeyeServer } from "../support/harness.mjs";

const STEP = 10_000;
const npm = (args, cwd) => execFileSync("npm", [...args, "--no-audit", "--no-fund"], { cwd, encoding: "utf8" });
const msgpackParser = createRequire(import.meta.url)("socket.io-msgpack-parser");

let tmp;
let app;
let browser;

// What both apps do once connected: ask for a nick (the chat demo's `nick`, which both servers
// below answer with `{ ok: true, nick }`) and report to the test through `window`.
const REPORT = `
const nick = new URL(location.href).searchParams.get("nick");
socket.on("connect", async () => {
  try {
    const ack = await socket.timeout(5000).emitWithAck("nick", nick);
    window.result = { ack, id: socket.id };
  } catch (e) {
    window.result = { error: String(e) };
  }
});
`;

const APPS = {
  direct: `import { io } from "sockeye/msgpack";\nconst socket = io();\n${REPORT}`,
  shaped: `import { io } from "sockeye";\nimport * as parser from "sockeye/msgpack";\nconst socket = io({ parser });\n${REPORT}`,
};

// No favicon request (its 404 would be a console error).
const HEAD = `<!doctype html><link rel="icon" href="data:,">`;

before(async () => {
  if (!existsSync(path.join(root, "pkg", "msgpack", "sockeye_msgpack_bg.wasm"))) {
    throw new Error("pkg/msgpack/ is not built: run `bash scripts/build-client.sh` first");
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), "sockeye-msgpack-package-"));
  // --ignore-scripts: pkg/ was just built; `prepack` would build it again.
  const [packed] = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], root));

  app = path.join(tmp, "app");
  mkdirSync(path.join(app, "src"), { recursive: true });
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npm(["install", "--offline", path.join(tmp, packed.filename)], app);
  const resolve = createRequire(path.join(app, "package.json")).resolve;

  for (const [name, source] of Object.entries(APPS)) {
    writeFileSync(path.join(app, "src", `${name}.js`), source);
    // esbuild: the bundle, and the modules it loads beside it (esbuild leaves `new URL(…,
    // import.meta.url)` alone).
    const out = path.join(app, `dist-esbuild-${name}`);
    await esbuild.build({
      absWorkingDir: app,
      entryPoints: [`src/${name}.js`],
      bundle: true,
      format: "esm",
      outfile: path.join(out, "main.js"),
      logLevel: "error",
    });
    const modules = name === "direct" ? ["sockeye_msgpack_bg.wasm"] : ["sockeye_client_bg.wasm", "sockeye_msgpack_bg.wasm"];
    for (const wasm of modules) copyFileSync(resolve(`sockeye/${wasm}`), path.join(out, wasm));
    writeFileSync(path.join(out, "index.html"), `${HEAD}<script type="module" src="main.js"></script>`);
    // Vite and no bundler: a page each at the project's root.
    writeFileSync(path.join(app, `${name}.html`), `${HEAD}<script type="module" src="/src/${name}.js"></script>`);
    writeFileSync(path.join(app, `plain-${name}.html`), `${HEAD}
<script type="importmap">{ "imports": {
  "sockeye": "/node_modules/sockeye/pkg/index.js",
  "sockeye/msgpack": "/node_modules/sockeye/pkg/msgpack/index.js"
} }</script>
<script type="module" src="/src/${name}.js"></script>`);
  }
  await vite.build({
    root: app,
    configFile: false,
    logLevel: "error",
    base: "./",
    build: {
      outDir: "dist-vite",
      rollupOptions: { input: Object.fromEntries(Object.keys(APPS).map((name) => [name, path.join(app, `${name}.html`)])) },
    },
  });

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the declarations: sockeye/msgpack's API, and `parser` takes it", () => {
  const file = path.join(app, "src", "typed.ts");
  writeFileSync(
    file,
    `import { io } from "sockeye";
import * as parser from "sockeye/msgpack";
import msgpackDefault, { io as ioMsgpack, Manager, Socket } from "sockeye/msgpack";

const a: Socket = io("http://localhost", { parser });
const b: Socket = ioMsgpack("http://localhost", { autoConnect: false });
const c: Socket = msgpackDefault("http://localhost");
const m: Manager = new Manager("http://localhost", { parser: msgpackDefault });
b.emit("hello", 1, new Uint8Array([1]));
m.socket("/admin");
void [a, c];
// @ts-expect-error socket.io-msgpack-parser's shape is not a build of this package
io("http://localhost", { parser: { Encoder: class {}, Decoder: class {} } });
`,
  );
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.deepEqual(diagnostics, []);
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

/** The official socket.io server with socket.io-msgpack-parser, serving the app's folder and answering `nick`. */
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
  const io = new Server(http, { parser: msgpackParser });
  io.on("connection", (socket) => socket.on("nick", (nick, ack) => ack({ ok: true, nick })));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}/`,
    stop: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

const SERVERS = {
  "sockeye-server --parser msgpack": () =>
    startSockeyeServer(["--parser", "msgpack", "--www", app, "--client-dir", path.join(app, "no-client-dir")]),
  "the official socket.io server with socket.io-msgpack-parser": startReference,
};

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`against ${serverName}`, () => {
    let server;
    before(async () => (server = await start()));
    after(() => server?.stop());

    for (const name of Object.keys(APPS)) {
      for (const [how, page] of Object.entries({
        esbuild: `dist-esbuild-${name}/`,
        vite: `dist-vite/${name}.html`,
        "no bundler": `plain-${name}.html`,
      })) {
        test(`${name}, ${how}: the app connects and gets its ack`, async () => {
          const nick = `${name}-${how.replace(/\W/g, "-")}`;
          const result = await run(`${server.url}${page}?nick=${nick}`);
          assert.deepEqual(result.ack, { ok: true, nick }, JSON.stringify(result));
          assert.match(result.id, /^[\w-]{20}$/);
        });
      }
    }
  });
}
