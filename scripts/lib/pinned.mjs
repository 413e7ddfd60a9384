// The processes of the load benchmarks (bench-load-compare.mjs, bench-compression.mjs): a server
// pinned to one core and the load generator `sockeye-load` pinned to the other, so that neither
// takes the other's CPU.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export const SERVER_CORE = "0";
export const GENERATOR_CORE = "1";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server `cmd` (a command and its arguments; it gets `--port 0 --exit-with-stdin` and
 * prints `listening on URL`) pinned to the server core. Resolves with `{ url, pid, stop, log }`:
 * `stop()` closes its standard input and kills it if it has not exited 3 s later.
 */
export async function startPinnedServer(cmd, name = "the server") {
  const child = spawn("taskset", ["-c", SERVER_CORE, ...cmd, "--port", "0", "--exit-with-stdin"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "error" },
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${log}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}): ${log}`)));
  });
  const stop = async () => {
    child.stdin.end();
    const exited = new Promise((r) => child.once("exit", r));
    if (!(await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]))) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  return { url, pid: child.pid, stop, log: () => log };
}

/**
 * Runs the load generator `load` with `args`, pinned to the generator core, its JSON summary
 * written into the folder `dir`; resolves with the summary.
 */
export function runGenerator(load, dir, args) {
  const json = path.join(dir, `g-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn("taskset", ["-c", GENERATOR_CORE, load, "--quiet", "--json", json, ...args.map(String)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0 || !existsSync(json)) reject(new Error(`sockeye-load ${args.join(" ")} failed (${code}): ${err}`));
      else resolve(JSON.parse(readFileSync(json, "utf8")));
    });
  });
}
