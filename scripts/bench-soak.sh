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
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

ensure_redis
bench_release -p sockeye-server --example soak
bench_release -p sockeye-loadgen --bin sockeye-soak
SOCKEYE_SOAK_SERVER="$target_dir/release/examples/soak" SOCKEYE_SOAK="$target_dir/release/sockeye-soak" \
  node scripts/lib/bench-soak.mjs
