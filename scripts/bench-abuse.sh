#!/usr/bin/env bash
# Abuse benchmark of issue 13 ("nothing a client, a handler or a shared Redis does can stall, leak
# or crash a node"): 1,000 well-behaved clients of the load generator (loadgen/, `sockeye-load
# --workload mixed`: paced echo-ack emits with acks, all in one room that one more client
# broadcasts to) against the release build of native-server/examples/bench.rs (on jemalloc, with
# connection state recovery and the hostile inputs' targets: `--recovery --hostile`), first alone,
# then while 50 hostile connections (scripts/lib/bench-abuse-hostile.mjs) cycle through the worst
# inputs: a ~1 MB auth object, 9 of 10 announced attachments, refused CONNECTs at wire speed (an
# auth middleware, dynamic namespaces), `42["n",1e400]`, a room member that stops reading,
# malformed sids, an oversized and a trickled polling POST, a second CONNECT. The server runs on
# core 0, the clients on core 1 (taskset; the hostile ones under SCHED_IDLE, so that they only get
# the time the well-behaved ones leave). Writes the `## Server: abuse` section of BENCHMARKS.md
# (the clients' throughput and latency with and without the attack, acks lost, how the server
# answered each attack, its RSS over time, whether it still answers at the end) and
# bench/charts/abuse-rss.svg. Exits 1 when a check failed (an ack lost, a client disconnected, the
# server dead, over RSS_LIMIT_MIB or not answering).
#
# Environment: DURATION (seconds of attack, default 300), BASELINE (seconds without it before,
# default 60, or DURATION if shorter), CLIENTS (1000), HOSTILE (50), RATE (echo-ack emits/s in
# all, 10000), BROADCAST_RATE (broadcasts/s, 10), SAMPLE_SECONDS (RSS sampling, 2), SETTLE
# (seconds after the attack before the final check, 30), RSS_LIMIT_MIB (the server is killed past
# it, 4096). A full run takes about 7 minutes after the builds. For a quick try:
#   DURATION=20 BENCH_ALLOW_BUSY=1 scripts/bench-abuse.sh
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

# What the run needs: taskset (util-linux), the official socket.io-client (the final check; the
# hostile connections need no package: raw TCP), the server, the generator.
ensure_command taskset util-linux
# jemalloc, as `npm start` builds the binary (freed pages go back to the system within a second,
# so RSS follows the live heap).
bench_release -p sockeye-server --example bench --features jemalloc
bench_release -p sockeye-loadgen

SOCKEYE_BENCH_SERVER="$target_dir/release/examples/bench" \
  SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  node scripts/lib/bench-abuse.mjs
