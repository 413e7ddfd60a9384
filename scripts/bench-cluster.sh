#!/usr/bin/env bash
# Cross-node broadcasts through Redis: two Sockeye nodes (the release build of
# native-server/examples/cluster.rs, pub/sub adapter) against two Node socket.io 4.8 nodes
# (tests/cluster/node-server.mjs, @socket.io/redis-adapter), same load, same redis-server (its
# own instance, Debian's package, installed when missing). Rewrites the `## Cluster: cross-node
# broadcasts through Redis` section of BENCHMARKS.md; exits 1 if a run lost deliveries.
# CLIENTS (per node), RATES (broadcasts/s, comma-separated) and DURATION (seconds) change the run.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

ensure_redis
bench_release -p sockeye-server --example cluster
SOCKEYE_CLUSTER="$target_dir/release/examples/cluster" node scripts/lib/bench-cluster.mjs
