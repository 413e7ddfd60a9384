#!/usr/bin/env bash
# 1,000 official socket.io-client clients over WebSocket, in 4 Node.js processes, emitting with
# acks for 30 s against the release build of the interop server
# (native-server/examples/interop.rs). Counts acks per second and errors, checks the server's log
# for panics and errors, and rewrites the `## Server: 1,000 clients emitting with acks` section of
# BENCHMARKS.md (the other sections are left as they are); exits 1 on any error.
# CLIENTS, PROCESSES and DURATION (seconds) change the run.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

bench_release -p sockeye-server --example interop
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" node scripts/lib/bench-load.mjs
