#!/usr/bin/env bash
# 10,000 connect/vanish cycles against the release build of the interop server
# (native-server/examples/interop.rs, short heartbeats): clients that do the handshake and the
# CONNECT, then vanish without a goodbye. Checks that heartbeats bring the live session count back
# to zero after every 1,000 and that the server's RSS after all of them is within 10% of its RSS
# after the first 1,000; rewrites the `## Server: connect/vanish cycles` section of BENCHMARKS.md
# (the other sections are left as they are) and exits 1 when a check fails.
# CYCLES, CONCURRENCY and WARMUP (default 10000, 50 and 0: cycles run first and left out of the
# check) change the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules/ws ] || npm ci
target_dir="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))')"
# The server runs on jemalloc with its decay off (freed pages go back to the system at once), so
# that its RSS follows what it holds: glibc's malloc keeps the pages of freed chunks resident and
# its RSS grows with how its arenas fragment (see native-server/Cargo.toml). A target directory of
# its own: the extra cfg would otherwise rebuild the release target of the other scripts.
export CARGO_TARGET_DIR="$target_dir/bench-vanish"
RUSTFLAGS="${RUSTFLAGS:-} --cfg sockeye_bench_jemalloc" \
  cargo build --release -p sockeye-server --example interop
_RJEM_MALLOC_CONF="dirty_decay_ms:0,muzzy_decay_ms:0" \
  SOCKEYE_INTEROP_SERVER="$CARGO_TARGET_DIR/release/examples/interop" node scripts/lib/bench-vanish.mjs
