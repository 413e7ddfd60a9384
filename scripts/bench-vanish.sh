#!/usr/bin/env bash
# 10,000 connect/vanish cycles against the release build of the interop server
# (native-server/examples/interop.rs, short heartbeats): clients that do the handshake and the
# CONNECT, then vanish without a goodbye. Checks that heartbeats bring the live session count back
# to zero after every 1,000 and that the server's RSS after all of them is within 10% of its RSS
# after the first 1,000; rewrites the `## Server: connect/vanish cycles` section of BENCHMARKS.md
# (the other sections are left as they are) and exits 1 when a check fails.
# CYCLES, CONCURRENCY and WARMUP (default 10000, 50 and 0: cycles run first and left out of the
# check) change the run.
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

# The server runs on jemalloc, as `npm start` builds the binary (the `jemalloc` feature, with the
# options in .cargo/config.toml: freed pages go back to the system after 1 s), so that its RSS
# follows what it holds: glibc's malloc keeps the pages of freed chunks resident and its RSS grows
# with how its arenas fragment (see native-server/Cargo.toml).
bench_release -p sockeye-server --example interop --features jemalloc
SOCKEYE_INTEROP_SERVER="$target_dir/release/examples/interop" node scripts/lib/bench-vanish.mjs
