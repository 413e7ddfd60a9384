#!/usr/bin/env bash
# Measures the browser client's echo throughput (messages per second) and CPU per message
# (DevTools Performance.getMetrics TaskDuration) in headless Chromium, Sockeye's npm package vs
# socket.io-client from node_modules, against the same servers: sockeye-server (a release build of
# native-server/examples/wasm-peer.rs) and the official Node socket.io server
# (wasm-client/tests/support/server.mjs). Rewrites the `## Browser client: echo throughput and CPU
# per message` section of BENCHMARKS.md (see scripts/lib/bench-browser.mjs for the method).
#
#   bash scripts/bench-browser.sh            # MESSAGES=20000 WINDOW=16 REPEAT=7
#
# Needs: chromium (Debian; CHROMIUM overrides /usr/bin/chromium), playwright-core, socket.io and
# socket.io-client in node_modules (devDependencies), the wasm-bindgen CLI (build-client.sh).
#
# Waits for a quiet machine before it measures (see scripts/lib/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

ensure_chromium
export MESSAGES="${MESSAGES:-20000}" WINDOW="${WINDOW:-16}" REPEAT="${REPEAT:-7}"
export COMMAND="MESSAGES=$MESSAGES WINDOW=$WINDOW REPEAT=$REPEAT bash scripts/bench-browser.sh"

. scripts/lib/peers.sh
bench_release -q -p sockeye-server --example wasm-peer
bash scripts/build-client.sh "$work/pkg" >/dev/null

peer_start 3 sockeye "$target_dir/release/examples/wasm-peer" --exit-with-stdin
sockeye_url="http://127.0.0.1:$port"
peer_start 4 node node wasm-client/tests/support/server.mjs
node_url="http://127.0.0.1:$port"

PKG="$work/pkg" \
SIO="$PWD/node_modules/socket.io-client/dist" \
SERVERS="sockeye-server=$sockeye_url,socket.io $(node -p 'require("socket.io/package.json").version') (Node)=$node_url" \
  node scripts/lib/bench-browser.mjs
