// The two servers every browser test runs against, started alike and serving the test page
// (tests/browser/www/) and the npm package under test from their own origin:
//   - sockeye-server: native-server/examples/interop.rs (`cargo build -p sockeye-server
//     --examples`; target/debug/examples/interop, CARGO_TARGET_DIR honoured, or
//     SOCKEYE_INTEROP_SERVER);
//   - socket.io: the official Node.js server with the same handlers (tests/support/reference-server.mjs).
// The package is SOCKEYE_PKG (default pkg/, made by `bash scripts/build-client.sh pkg`). Each
// server listens on 127.0.0.1, a free port, and exits when the test process does.
// SOCKEYE_PARSER=msgpack runs the tests over the MessagePack parser: both servers started with
// `--parser msgpack`, the page's `sockeye` the package's `sockeye/msgpack` module.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { launchChromium, root, startProcess } from "../../support/harness.mjs";
import { serverBinary } from "../../interop/support/server.mjs";

export { launchChromium, root };

/**
 * Headless Chromium as launchChromium() starts it, with `window.gc()` (the leak test collects
 * garbage between its cycles, so that the wasm memory it measures is not the high-water mark of
 * drivers waiting for a collection).
 */
export function launchChromiumWithGc() {
  return launchChromium({ args: ["--js-flags=--expose-gc"] });
}

/** The parser the tests run with (SOCKEYE_PARSER): "json" (the default) or "msgpack". */
export const PARSER = process.env.SOCKEYE_PARSER ?? "json";
if (!["json", "msgpack"].includes(PARSER)) throw new Error(`SOCKEYE_PARSER=${PARSER}: json or msgpack`);
const parserArgs = PARSER === "msgpack" ? ["--parser", "msgpack"] : [];

const here = path.dirname(fileURLToPath(import.meta.url));
export const www = path.resolve(here, "../www");

/** The npm package folder under test. */
export function packageDir(variable = "SOCKEYE_PKG", fallback = "pkg") {
  const dir = path.resolve(root, process.env[variable] ?? fallback);
  if (!existsSync(path.join(dir, "index.js")) || !existsSync(path.join(dir, "sockeye_client_bg.wasm"))) {
    throw new Error(`${dir} holds no built package: run \`bash scripts/build-client.sh ${dir}\` (or set ${variable})`);
  }
  return dir;
}

/** Starts sockeye-server (the interop example) with `args`, serving `pkg` at /sockeye/. */
export function startSockeye(pkg, args = []) {
  const bin = serverBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build -p sockeye-server --examples\` first`);
  return startProcess(bin, ["--port", "0", "--exit-with-stdin", "--www", www, "--client-dir", pkg, ...parserArgs, ...args]);
}

/** Starts the official socket.io server (tests/support/reference-server.mjs) with `args`, serving `pkg` at /sockeye/. */
export function startReference(pkg, args = []) {
  const script = path.join(root, "tests/support/reference-server.mjs");
  return startProcess(process.execPath, [script, "--port", "0", "--exit-with-stdin", "--www", www, "--client-dir", pkg, ...parserArgs, ...args]);
}

/** Both servers, by the name the tests give them. */
export const SERVERS = {
  "sockeye-server": startSockeye,
  "socket.io 4.8 (Node.js)": startReference,
};

/**
 * A new page of `context` on the test page of `server`, once the package has loaded (its
 * `sockeye/msgpack` module as `sockeye` when `parser` is "msgpack"). Page errors and console
 * errors are collected in `page.problems`.
 */
export async function openPage(context, server, parser = PARSER) {
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && page.problems.push(`console: ${m.text()}`));
  await page.goto(parser === "msgpack" ? `${server.url}?parser=msgpack` : server.url);
  await page.waitForFunction(() => window.ready, null, { timeout: 10_000 }).catch((e) => {
    throw new Error(`the test page did not load: ${page.problems.join("; ")}`, { cause: e });
  });
  return page;
}
