#!/usr/bin/env bash
# 1,000 official socket.io-client clients over WebSocket, in 4 Node.js processes, emitting with
# acks for 30 s against the release build of the interop server
# (native-server/examples/interop.rs). Counts acks per second and errors, checks the server's log
# for panics and errors, and rewrites the `## Server: 1,000 clients emitting with acks` section of
# BENCHMARKS.md (the other sections are left as they are); exits 1 on any error.
# CLIENTS, PROCESSES and DURATION (seconds) change the run.
#
# After its builds, right before it measures, it waits (up to BENCH_WAIT_SECONDS, default 600) for
# the 1-minute load average to fall to BENCH_MAX_LOAD (default 1.5). A measurement that started over
# it leaves BENCHMARKS.md alone: the section goes to benchmarks-refused/ in the cargo target
# directory and the exit code is 3. BENCH_ALLOW_BUSY=1 measures at once and writes the section
# whatever the load (it states the load either way). See scripts/lib/benchmarks.cjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

[ -d node_modules/socket.io-client ] || npm ci
cargo build --release -p sockeye-server --example interop
target_dir="$(cargo_target_dir)"
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" node scripts/lib/bench-load.mjs
