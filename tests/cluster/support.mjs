// What the cluster tests share: a real redis-server of their own, the Sockeye `cluster` example
// and the Node twin (node-server.mjs) as cluster nodes, and socket.io-client helpers.
//
// redis-server is Debian's package (scripts/lib/setup.sh installs it). Each instance runs on
// a free 127.0.0.1 port without persistence, under a shell that kills it when the test process
// closes its standard input, so that none outlives the tests however they end.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { io as connect } from "socket.io-client";
import { root, startProcess, targetDir } from "../support/harness.mjs";

export { sleep };

export function redisServerBinary() {
  const bin = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";
  if (!existsSync(bin)) {
    // Installed by the one set-up (scripts/lib/setup.sh), which npm test runs first.
    throw new Error(`${bin} not found: bash scripts/test.sh --setup-only installs it (or set REDIS_SERVER)`);
  }
  return bin;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port` (a free one by default): { port, url, stop() }. */
export async function startRedis(port) {
  port ??= await freePort();
  const bin = redisServerBinary();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  // The shell ends redis-server when its standard input closes (stop(), or this process died).
  const script = `"$0" "$@" & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; wait $pid`;
  const child = spawn("sh", ["-c", script, bin, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    log: () => out,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

export function clusterExample() {
  return process.env.SOCKEYE_CLUSTER ?? path.join(targetDir, "debug", "examples", "cluster");
}

export function emitExample() {
  return process.env.SOCKEYE_EMIT ?? path.join(targetDir, "debug", "examples", "emit");
}

/** socket.io-msgpack-parser 3.0.2, for `client(node, { parser: msgpackParser })`. */
export const msgpackParser = createRequire(import.meta.url)("socket.io-msgpack-parser");

/** A Sockeye node (`--adapter` pubsub by default; `parser` "json" or "msgpack", towards its clients). */
export function startSockeye(redisUrl, { adapter = "pubsub", parser = "json", env = {}, args = [] } = {}) {
  const bin = clusterExample();
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: run \`cargo build -p sockeye-server --example cluster\` first`);
  }
  return startProcess(bin, [
    "--port",
    "0",
    "--redis",
    redisUrl,
    "--adapter",
    adapter,
    "--parser",
    parser,
    "--exit-with-stdin",
    ...args,
  ], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "sockeye_redis=debug,warn", ...env },
  });
}

/** A Node socket.io node with the Node adapter of the same kind (`parser` as startSockeye's). */
export function startNode(redisUrl, { adapter = "pubsub", parser = "json" } = {}) {
  return startProcess(process.execPath, [
    path.join(root, "tests/cluster/node-server.mjs"),
    "--port",
    "0",
    "--redis",
    redisUrl,
    "--adapter",
    adapter,
    "--parser",
    parser,
  ]);
}

/**
 * A connected socket.io-client socket (WebSocket only: no sticky sessions needed); `opts` go to
 * socket.io-client, `{ parser: msgpackParser }` for a node on `parser: "msgpack"`.
 */
export async function client(node, opts = {}) {
  const socket = connect(node.url, { transports: ["websocket"], forceNew: true, reconnection: false, ...opts });
  // A client the node does not understand (another parser) is never answered: give up.
  const timer = setTimeout(() => socket.disconnect(), 10_000);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
    socket.once("disconnect", () => reject(new Error(`${node.url} closed the connection or did not answer CONNECT within 10 s`)));
  }).finally(() => clearTimeout(timer));
  return socket;
}

/** The next `event` on `socket` (its arguments), or a rejection after `ms`. */
export function next(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      socket.off(event, on);
      resolve(args);
    };
    socket.on(event, on);
  });
}

/** Resolves true if `event` comes within `ms`, false otherwise. */
export async function comes(socket, event, ms = 500) {
  try {
    await next(socket, event, ms);
    return true;
  } catch {
    return false;
  }
}

export function ask(socket, ...args) {
  return socket.timeout(8000).emitWithAck(...args);
}

/** Retries `check` (an async predicate) every 100 ms until it holds or `ms` passed. */
export async function eventually(check, ms = 10_000, what = "condition") {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not hold within ${ms} ms${last ? `: ${last.message}` : ""}`);
}

/** Runs the Rust emitter example with `args`. */
export function rustEmit(redisUrl, ...args) {
  execFileSync(emitExample(), ["--redis", redisUrl, ...args], { stdio: ["ignore", "inherit", "inherit"] });
}
