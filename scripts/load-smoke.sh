#!/usr/bin/env bash
# CI's smoke run of the load generator (loadgen/, `sockeye-load`) against sockeye-server:
# about 10 s of G1 (WebSocket ack-echo), G3 (broadcast to a room) and G6 (long-polling ack-echo)
# at small scale against native-server/examples/bench.rs (debug builds); then about 4 s of the
# same with `--parser msgpack`, against bench.rs and against the Node reference with
# socket.io-msgpack-parser (bench/peers/node-server.mjs): the native client's MessagePack interop. Fails on any error the
# generator counts (failed connection, lost ack, missing delivery ...) or on a run that completed
# nothing. The figures are not benchmarks: scripts/bench-load-compare.sh makes those.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

cargo build -q -p sockeye-server --example bench
cargo build -q -p sockeye-loadgen
target_dir="$(cargo_target_dir)"

out="$(mktemp)"
# The server's stderr, kept: with SOCKEYE_BENCH_ACK_LOG, bench.rs says there how many acks each
# socket answered as it leaves (shown when a run fails, see `load`); its other lines pass through.
server_log="$(mktemp)"
report="$(mktemp)"
# Each server exits when this script's pipe to it closes, however the script ends.
start() {
  : > "$out"
  : > "$server_log"
  exec 3> >(SOCKEYE_BENCH_ACK_LOG=1 "$@" --port 0 --exit-with-stdin > "$out" \
    2> >(tee -a "$server_log" | grep -v --line-buffered '^bench: socket ' >&2))
  for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
  url="$(sed -n 's/^listening on //p' "$out")"
  [ -n "$url" ] || { echo "load-smoke: $1 did not start" >&2; exit 1; }
}

# A failed run shows, for each socket that lost an ack (sockeye-load lists them), the server's
# count of the acks it answered: which side dropped the packet.
load() {
  if "$target_dir/debug/sockeye-load" --url "$url" --quiet --check --warmup 0.5 "$@" 2> "$report"; then
    cat "$report" >&2
    return
  fi
  cat "$report" >&2
  sleep 1 # the server's disconnect handlers
  sed -n 's/^  client [0-9]* (socket \([^ ,]*\),.*/\1/p' "$report" | while read -r sid; do
    grep -F "bench: socket $sid " "$server_log" >&2 || echo "load-smoke: the server said nothing of socket $sid" >&2
  done
  exit 1
}
start "$target_dir/debug/examples/bench"
load --workload g1 --clients 100 --duration 4
load --workload g3 --clients 200 --duration 2
load --workload g6 --clients 50 --transport polling --duration 2
exec 3>&-
for server in "$target_dir/debug/examples/bench" "node bench/peers/node-server.mjs"; do
  # shellcheck disable=SC2086 # the Node command is two words
  start $server --parser msgpack
  load --parser msgpack --workload g1 --clients 50 --duration 1
  load --parser msgpack --workload g3 --clients 50 --duration 0.5
  load --parser msgpack --workload g6 --clients 20 --transport polling --duration 0.5
  exec 3>&-
done
rm -f "$out" "$server_log" "$report"
echo "load-smoke: ok"
