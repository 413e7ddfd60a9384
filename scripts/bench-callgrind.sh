#!/usr/bin/env bash
# Instructions per ack (G1) or per delivery (G3) of the release `bench` example server, counted by
# valgrind's callgrind over the load generator's measured window only (instrumentation is switched on
# after the clients connected and warmed up, and dumped when the window ends). Instruction counts
# do not depend on what else the machine runs, so this compares two versions of the server where
# the side-by-side load benchmark cannot; it writes no BENCHMARKS.md section (the load section
# quotes its figures).
#
# Usage: scripts/bench-callgrind.sh [g1|g3]...   (default: g1 g3)
# Environment: BENCH_BIN and LOAD_BIN (the binaries to use; built from this checkout when unset),
# CLIENTS (G1: 100; G3: 1000 receivers), DURATION (seconds of window, default 10),
# ANNOTATE=1 (print the top functions too), OUT (directory for the callgrind files, default a
# temporary one).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

ensure_command valgrind valgrind
if [ -z "${BENCH_BIN:-}" ] || [ -z "${LOAD_BIN:-}" ]; then
  bench_release -p sockeye-server --example bench
  bench_release -p sockeye-loadgen
  BENCH_BIN="${BENCH_BIN:-$target_dir/release/examples/bench}"
  LOAD_BIN="${LOAD_BIN:-$target_dir/release/sockeye-load}"
fi
duration="${DURATION:-10}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(g1 g3)

for workload in "${workloads[@]}"; do
  case "$workload" in
    g1) clients="${CLIENTS:-100}" ;;
    g3) clients="${CLIENTS:-1000}" ;;
    *) echo "bench-callgrind: unknown workload $workload (g1 or g3)" >&2; exit 2 ;;
  esac
  log="$out/$workload.server.log"
  # --exit-with-stdin: the server ends when this script's pipe closes.
  exec {server_in}> >(valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out/$workload.%p.out" "$BENCH_BIN" --port 0 --exit-with-stdin \
    >"$log" 2>"$out/$workload.valgrind.log")
  url=""
  for _ in $(seq 600); do
    url="$(sed -n 's/^listening on //p' "$log" 2>/dev/null || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "bench-callgrind: the server did not start" >&2; cat "$out/$workload.valgrind.log" >&2; exit 1; }
  pid="$(pgrep -f -n "callgrind.*$BENCH_BIN")"
  ready="$out/$workload.ready"
  rm -f "$ready"
  "$LOAD_BIN" --url "$url" --workload "$workload" --clients "$clients" --duration "$duration" \
    --warmup 2 --ready-file "$ready" --json "$out/$workload.json" --quiet &
  load=$!
  while [ ! -e "$ready" ]; do sleep 0.05; done
  # The generator's window starts after its warm-up, counted from the ready file.
  sleep 2
  callgrind_control -i on "$pid" >/dev/null
  sleep "$duration"
  callgrind_control -d "$workload" "$pid" >/dev/null
  callgrind_control -i off "$pid" >/dev/null
  wait "$load"
  exec {server_in}>&-
  sleep 1
  dump="$(ls -t "$out/$workload".*.out.* 2>/dev/null | head -1)"
  instructions="$(sed -n 's/^summary: //p' "$dump" | head -1)"
  count="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).count)' "$out/$workload.json")"
  unit="$([ "$workload" = g1 ] && echo ack || echo delivery)"; units="$([ "$workload" = g1 ] && echo acks || echo deliveries)"
  node -e '
    const [w, ins, n, unit, units, clients] = process.argv.slice(1);
    console.log(`${w}: ${Number(ins).toLocaleString("en-US")} instructions over ${Number(n).toLocaleString("en-US")} ${units} (${clients} clients): ${Math.round(ins / n).toLocaleString("en-US")} per ${unit}`);
  ' "$workload" "$instructions" "$count" "$unit" "$units" "$clients"
  if [ "${ANNOTATE:-0}" = 1 ]; then
    callgrind_annotate --inclusive=no "$dump" 2>/dev/null | head -60
  fi
done
echo "callgrind files: $out"
