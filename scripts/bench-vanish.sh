#!/usr/bin/env bash
# 10,000 connect/vanish cycles against the release build of the interop server
# (native-server/examples/interop.rs, short heartbeats): clients that do the handshake and the
# CONNECT, then vanish without a goodbye. Checks that heartbeats bring the live session count back
# to zero after every 1,000 and that the server's RSS after all of them is within 10% of its RSS
# after the first 1,000; rewrites the `## Server: connect/vanish cycles` section of BENCHMARKS.md
# (the other sections are left as they are) and exits 1 when a check fails.
# CYCLES and CONCURRENCY (default 10000 and 50) change the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules/ws ] || npm ci
cargo build --release -p sockeye-server --example interop
target_dir="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))')"
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" node scripts/lib/bench-vanish.mjs
