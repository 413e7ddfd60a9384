#!/usr/bin/env bash
# Cross-node broadcasts through Redis: two Sockeye nodes (the release build of
# native-server/examples/cluster.rs, pub/sub adapter) against two Node socket.io 4.8 nodes
# (tests/cluster/node-server.mjs, @socket.io/redis-adapter), same load, same redis-server (its
# own instance, Debian's package, installed when missing). Rewrites the `## Cluster: cross-node
# broadcasts through Redis` section of BENCHMARKS.md; exits 1 if a run lost deliveries.
# CLIENTS (per node), RATES (broadcasts/s, comma-separated) and DURATION (seconds) change the run.
#
# After its builds, right before it measures, it waits (up to BENCH_WAIT_SECONDS, default 600) for
# the 1-minute load average to fall to BENCH_MAX_LOAD (default 1.5). A measurement that started over
# it leaves BENCHMARKS.md alone: the section goes to benchmarks-refused/ in the cargo target
# directory and the exit code is 3. BENCH_ALLOW_BUSY=1 measures at once and writes the section
# whatever the load (it states the load either way). See scripts/lib/benchmarks.cjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

[ -d node_modules/@socket.io/redis-adapter ] || npm ci
cargo build --release -p sockeye-server --example cluster
target_dir="$(cargo_target_dir)"
SOCKEYE_CLUSTER="$target_dir/release/examples/cluster" node scripts/lib/bench-cluster.mjs
