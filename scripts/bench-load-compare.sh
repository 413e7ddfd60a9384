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
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

# What the run needs: taskset (util-linux), Node.js packages, the three servers, the generator.
ensure_command taskset util-linux
bench_release -p sockeye-server --example bench
bench_release -p sockeye-loadgen
peer_target="$PWD/target/bench-peer-socketioxide"
(cd bench/peers/socketioxide && CARGO_TARGET_DIR="$peer_target" cargo build --release)

SOCKEYE_BENCH_SERVER="$target_dir/release/examples/bench" \
  SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  SOCKETIOXIDE_SERVER="$peer_target/release/bench-peer-socketioxide" \
  node scripts/lib/bench-load-compare.mjs
