#!/usr/bin/env bash
# Runs the browser client's tests against two servers, one after the other: (a) the official Node
# `socket.io` server (wasm-client/tests/support/server.mjs) and (b) sockeye-server
# (native-server/examples/wasm-peer.rs, its twin: the same handlers). Each listens on free ports of
# 127.0.0.1 (a plain one, and one with connection state recovery) and stops with this script.
# Against each:
#   1. wasm-client/tests/*.rs: wasm-bindgen-test in headless Chromium (the JS surface the wrapper
#      drives, and the typed Rust API); the server's URLs reach them at compile time as
#      SOCKEYE_TEST_URL and SOCKEYE_TEST_RECOVERY_URL, its name as SOCKEYE_TEST_SERVER;
#   2. yew-hooks/tests/: the Yew hooks (sockeye-yew), mounted and unmounted in the page;
#   3. wasm-client/tests/js/: the ESM wrapper, built by scripts/build-client.sh, under Node.js's
#      test runner (with --experimental-websocket on a Node.js without a global WebSocket).
#
# Needs (installed when missing, scripts/lib/setup.sh): chromium and chromium-driver (Debian), the
# wasm32 target, the wasm-bindgen CLI of the pinned version, and `socket.io` in node_modules (a
# devDependency; SOCKEYE_NODE_MODULES may name another folder holding node_modules/).
# SOCKEYE_TEST_SERVERS="node" or "sockeye" runs against one server only. Extra arguments go to
# `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

ensure_chromium
ensure_wasm_target
ensure_wasm_bindgen
[ -n "${SOCKEYE_NODE_MODULES:-}" ] || ensure_node_modules
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

servers="${SOCKEYE_TEST_SERVERS:-node sockeye}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
case " $servers " in *" sockeye "*)
  cargo build -q -p sockeye-server --example wasm-peer ;;
esac

. scripts/lib/peers.sh

bash scripts/build-client.sh "$work/pkg"
node_flags=()
if ! node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' &&
  node --experimental-websocket -e '' 2>/dev/null; then
  node_flags+=(--experimental-websocket)
fi

fd=3
for server in $servers; do
  case "$server" in
    node)
      peer_start "$fd" node node wasm-client/tests/support/server.mjs
      label="socket.io $(node -p "require(require('node:module').createRequire('${SOCKEYE_NODE_MODULES:-$PWD}/package.json').resolve('socket.io/package.json')).version" 2>/dev/null || echo '?')"
      ;;
    sockeye)
      peer_start "$fd" sockeye "$target/debug/examples/wasm-peer" --exit-with-stdin
      label="sockeye-server (examples/wasm-peer)"
      ;;
    *)
      echo "test-wasm: unknown server $server (node or sockeye)" >&2
      exit 2
      ;;
  esac
  fd=$((fd + 1))
  printf '\n==> test-wasm: %s on 127.0.0.1:%s (recovery on :%s)\n' "$label" "$port" "$recovery_port"
  export SOCKEYE_TEST_SERVER="$server"
  export SOCKEYE_TEST_URL="http://127.0.0.1:$port"
  export SOCKEYE_TEST_RECOVERY_URL="http://127.0.0.1:$recovery_port"
  cargo test -p sockeye-client --target wasm32-unknown-unknown --features rust-api "$@"
  cargo test --manifest-path yew-hooks/Cargo.toml --locked --target wasm32-unknown-unknown \
    --target-dir "$target/yew-hooks"
  SOCKEYE_PKG="$work/pkg" node "${node_flags[@]}" --test wasm-client/tests/js/
done
