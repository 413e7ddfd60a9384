#!/usr/bin/env bash
# The reconnect storm: 19,000 WebSocket clients (sockeye-load --workload storm, in 4 processes)
# connected to the release build of the interop server (native-server/examples/interop.rs, on
# jemalloc as `npm start` builds the binary), the server killed and started again on the same
# port; every client must be back (CONNECTed to `/`) within 10 s, with the reference's backoff and
# jitter, and no connection refused. Rewrites the `## Server: reconnect storm` section of
# BENCHMARKS.md (the other sections are left as they are) and exits 1 when a check fails.
# CLIENTS, PROCS and RAMP (default 19000, 4 and 1000 connections per second per process while the
# clients first connect) change the run. Not part of CI.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

bench_release -p sockeye-server --example interop --features jemalloc
bench_release -p sockeye-loadgen
# Each process holds its share of the clients, one file each, plus the server's own.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  node scripts/lib/bench-storm.mjs
