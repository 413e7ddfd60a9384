#!/usr/bin/env bash
# At-least-once delivery, proved: a soak of DURATION seconds (600) with CLIENTS clients (1000)
# through random transport faults (a proxy that stalls, resets and closes connections; the
# server closing transports), numbered messages both ways (client emits with retries +
# ackTimeout, server broadcasts under connection state recovery), once on one node and once on
# two nodes sharing the Redis Streams adapter (its own redis-server, Debian's package, installed
# when missing). Rewrites the `## Soak: at-least-once delivery` section of BENCHMARKS.md; exits 1
# if a run lost a message. Not in CI (about 25 minutes). MODES=single or MODES=cluster runs one
# of the two (and leaves BENCHMARKS.md alone).
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
cargo build --release -p sockeye-server --example soak
cargo build --release -p sockeye-loadgen --bin sockeye-soak
target_dir="$(cargo_target_dir)"
SOCKEYE_SOAK_SERVER="$target_dir/release/examples/soak" SOCKEYE_SOAK="$target_dir/release/sockeye-soak" \
  node scripts/lib/bench-soak.mjs
