// Starts the interop server (native-server/examples/interop.rs, built by
// `cargo build -p sockeye-server --examples`) or its Node twin (tests/support/reference-server.mjs)
// on 127.0.0.1, a free port, and stops it.
//
// The binary is target/debug/examples/interop (CARGO_TARGET_DIR is honoured), or
// SOCKEYE_INTEROP_SERVER when set. Both servers exit when our end of their standard input closes,
// so they cannot outlive the test process however that ends.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(fileURLToPath(import.meta.url), "../../../..");

export function serverBinary() {
  if (process.env.SOCKEYE_INTEROP_SERVER) return process.env.SOCKEYE_INTEROP_SERVER;
  const target = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
  return path.join(target, "debug", "examples", "interop");
}

// What the server's log must never hold, whatever a test sends it.
const BAD_LOG = /panicked at|\bERROR\b/;

/**
 * Starts a server with extra flags (e.g. ["--recovery"]). Resolves once it listens:
 * { url, pid, stats(), log(), stop() }. stop() kills it and throws if it had died on its own or
 * logged a panic or an error.
 */
export async function startServer(args = []) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: run \`cargo build -p sockeye-server --examples\` first`);
  }
  return start(bin, ["--port", "0", "--exit-with-stdin", ...args]);
}

/**
 * The reference server (tests/support/reference-server.mjs: the official `socket.io` with the
 * interop example's handlers) with the same flags as startServer(): { url, pid, stats(), log(),
 * stop() }.
 */
export async function startReference(args = []) {
  const script = path.join(root, "tests/support/reference-server.mjs");
  return start(process.execPath, [script, "--port", "0", "--exit-with-stdin", ...args]);
}

async function start(bin, args) {
  const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  // The log without the colours tracing puts in even when not writing to a terminal.
  const log = () => stderr.replace(/\x1b\[[0-9;]*m/g, "");
  let exitedEarly = null;
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      exitedEarly ??= `exited on its own (${code ?? signal})`;
      resolve();
    }),
  );

  const url = await new Promise((resolve, reject) => {
    let out = "";
    const fail = (message) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${bin} ${args.join(" ")}: ${message}\n${stderr}`));
    };
    const timer = setTimeout(() => fail("no `listening on` line within 10 s"), 10_000);
    child.once("error", (e) => fail(e.message));
    exited.then(() => fail(exitedEarly));
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });

  return {
    url,
    pid: child.pid,
    /** `{clients, sockets}`: live Engine.IO sessions and sockets on `/`. */
    async stats() {
      const res = await fetch(`${url}/stats`);
      return res.json();
    },
    log,
    async stop() {
      const died = exitedEarly;
      if (!died) {
        exitedEarly = "stopped";
        child.kill("SIGTERM");
      }
      await exited;
      if (died) throw new Error(`the server ${died}:\n${log()}`);
      if (BAD_LOG.test(log())) throw new Error(`the server logged a panic or an error:\n${log()}`);
    },
  };
}
