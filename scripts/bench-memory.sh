#!/usr/bin/env bash
# Memory stays flat: 100,000 connect/emit/disconnect cycles against the release build of the
# interop server (native-server/examples/interop.rs, on jemalloc as `npm start` builds the binary;
# clients: `sockeye-load --workload cycle`), its RSS at the end within 10% of its RSS after the
# first 10,000; and 100,000 cycles of the npm package in headless Chromium
# (io(url, {forceNew: true}) -> connect -> emitWithAck -> disconnect), its JS heap and wasm memory
# at the end within 10% of after the first 10,000. Rewrites the `## Memory: 100,000 cycles`
# section of BENCHMARKS.md (the other sections are left as they are); exits 1 when a check fails.
# CYCLES, SAMPLE_EVERY (default 100000, 10000), CONCURRENCY (server clients at a time, 50),
# PAGE_CONCURRENCY (loops in the page, 3) and PART (server, browser; default both) change the run.
# Not part of CI.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

bench_release -p sockeye-server --example interop --features jemalloc
bench_release -p sockeye-loadgen
if [ "${PART:-}" != server ]; then
  ensure_chromium
  # The npm package as `npm run build:client` makes it, into the target directory (pkg/ is left
  # to whoever else uses it).
  bash scripts/build-client.sh "$target_dir/pkg"
  export SOCKEYE_PKG="$target_dir/pkg"
fi
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" SOCKEYE_LOAD="$target_dir/release/sockeye-load" \
  node scripts/lib/bench-memory.mjs
