#!/usr/bin/env bash
# Bytes on the wire and server CPU per message, with and without each compression feature of
# issue 17, for the load generator's G1 payload (a small object) and a 10 KB JSON payload: the
# generator (loadgen/, `sockeye-load`, which accepts gzip and deflate) keeps one `echo-ack` in
# flight per client against the release build of native-server/examples/bench.rs, started fresh
# for every run on core 0 (the generator on core 1). Writes the `## Server: compression, bytes
# and CPU per message` section of BENCHMARKS.md.
#
# Environment: VARIANTS (default "polling polling+http polling+msgpack websocket websocket+msgpack
# websocket+deflate": long-polling without and with HTTP compression, with the MessagePack parser,
# and WebSocket with either parser and with permessage-deflate, offered by the generator as
# socket.io-client does under Node), PAYLOADS (default "g1 10kb"), CLIENTS (default 100), DURATION
# (seconds per run, default 10), REPS (default 3). The variants are a table in
# scripts/lib/bench-compression.mjs.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

ensure_command taskset util-linux
bench_release -p sockeye-server --example bench
bench_release -p sockeye-loadgen

SOCKEYE_BENCH_SERVER="$target_dir/release/examples/bench" \
  SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  node scripts/lib/bench-compression.mjs
