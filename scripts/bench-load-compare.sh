#!/usr/bin/env bash
# Load benchmarks of issue 6, side by side: every workload (G1-G6) of the load generator
# (loadgen/, `sockeye-load`) against three servers with the same handlers, one after the other,
# REPS times each: the release build of native-server/examples/bench.rs (Sockeye), the reference
# socket.io 4.8 on Node.js (bench/peers/node-server.mjs) and socketioxide
# (bench/peers/socketioxide/, built here into target/bench-peer-socketioxide). The server runs on
# core 0 and the generator on core 1 (taskset). Writes the `## Server: load, side by side`
# section of BENCHMARKS.md and one SVG chart per workload under bench/charts/.
#
# Environment: DURATION (seconds per run, default 10), REPS (default 3), WORKLOADS (default
# "g1 g2 g3 g4 g5ws g5poll g6"), SERVERS (default "sockeye node socketioxide"), SCALE (multiplies
# the client counts, default 1; the section says when it is not 1).
#
# After its builds, right before it measures, it waits (up to BENCH_WAIT_SECONDS, default 600) for
# the 1-minute load average to fall to BENCH_MAX_LOAD (default 1.5). A measurement that started over
# it leaves BENCHMARKS.md alone: the section goes to benchmarks-refused/ in the cargo target
# directory and the exit code is 3. BENCH_ALLOW_BUSY=1 measures at once and writes the section
# whatever the load (it states the load either way). See scripts/lib/benchmarks.cjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

# What the run needs: taskset (util-linux), Node.js packages, the three servers, the generator.
if ! command -v taskset > /dev/null; then
  apt-get update -qq && apt-get install -y -qq util-linux
fi
[ -d node_modules/socket.io ] || npm ci
cargo build --release -p sockeye-server --example bench
cargo build --release -p sockeye-loadgen
target_dir="$(cargo_target_dir)"
peer_target="$PWD/target/bench-peer-socketioxide"
(cd bench/peers/socketioxide && CARGO_TARGET_DIR="$peer_target" cargo build --release)

SOCKEYE_BENCH_SERVER="$target_dir/release/examples/bench" \
  SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  SOCKETIOXIDE_SERVER="$peer_target/release/bench-peer-socketioxide" \
  node scripts/lib/bench-load-compare.mjs
