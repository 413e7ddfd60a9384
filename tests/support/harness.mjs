// What the browser tests (tests/e2e/, tests/package/) share: Debian's Chromium through
// playwright-core, and the `sockeye-server` binary on 127.0.0.1.
//
// The binary is target/debug/sockeye-server (CARGO_TARGET_DIR is honoured), or SOCKEYE_SERVER
// when set; `cargo build -p sockeye-server --bins` makes it. Chromium is /usr/bin/chromium, or
// CHROMIUM. Servers run with --exit-with-stdin, so they cannot outlive the test process however it
// ends.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");

/**
 * Headless Chromium, with nothing running in the background that could reach the network;
 * `args` are added to its command line.
 */
export function launchChromium({ args = [] } = {}) {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} not found: apt-get install chromium (or set CHROMIUM)`);
  }
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...args,
    ],
  });
}

export function sockeyeServerBinary() {
  return process.env.SOCKEYE_SERVER ?? path.join(targetDir, "debug", "sockeye-server");
}

// What the server's log must never hold.
const BAD_LOG = /panicked at|\bERROR\b/;

/**
 * Starts `sockeye-server` with `args` (after `--host 127.0.0.1 --port <port>`); resolves once it
 * listens with { url, port, log(), stop() }. stop() ends it and throws if it died on its own or
 * logged a panic or an error.
 */
export async function startSockeyeServer(args, { port = 0 } = {}) {
  const bin = sockeyeServerBinary();
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: run \`cargo build -p sockeye-server --bins\` first`);
  }
  return startProcess(bin, ["--host", "127.0.0.1", "--port", String(port), "--exit-with-stdin", ...args], {
    cwd: root,
  });
}

/**
 * Starts a program that prints `listening on http://HOST:PORT` on stdout once it accepts
 * connections and exits when its standard input closes.
 */
export async function startProcess(bin, args, { cwd = root, env = process.env } = {}) {
  const child = spawn(bin, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (log += d));
  let exitedOnItsOwn = null;
  let stopping = false;
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      if (!stopping) exitedOnItsOwn = `exited on its own (${code ?? signal})`;
      resolve();
    }),
  );
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${bin} did not start within 30 s: ${out}${log}`)), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code}: ${out}${log}`));
    });
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/?$/, "/"));
      }
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    log: () => log,
    /** Sends `sig` (standard input stays open); resolves with the exit code or signal. */
    async kill(sig) {
      stopping = true;
      const code = new Promise((resolve) => child.once("exit", (c, s) => resolve(c ?? s)));
      child.kill(sig);
      return code;
    },
    async stop() {
      stopping = true;
      child.stdin.end();
      child.kill("SIGTERM");
      await exited;
      if (exitedOnItsOwn) throw new Error(`${bin} ${exitedOnItsOwn}:\n${log}`);
      if (BAD_LOG.test(log)) throw new Error(`${bin} logged a panic or an error:\n${log}`);
    },
  };
}
