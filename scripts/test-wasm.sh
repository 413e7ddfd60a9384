#!/usr/bin/env bash
# Runs the browser client's tests against the official Node `socket.io` server
# (wasm-client/tests/support/server.mjs), which this script starts on a free port of 127.0.0.1 and
# stops at the end:
#   1. wasm-client/tests/*.rs: wasm-bindgen-test in headless Chromium (the JS surface the wrapper
#      drives, and the typed Rust API); the server's URL reaches them at compile time as
#      SOCKEYE_TEST_URL;
#   2. wasm-client/tests/js/: the ESM wrapper, built by scripts/build-client.sh, under Node.js's
#      test runner (with --experimental-websocket on a Node.js without a global WebSocket).
#
# Needs: chromium and chromium-driver (Debian), the wasm-bindgen CLI of the pinned version, and
# `socket.io` in node_modules (a devDependency; SOCKEYE_NODE_MODULES may name another folder
# holding node_modules/). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
if [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "wasm-bindgen-test-runner $version" ]; then
  cargo install wasm-bindgen-cli --version "$version"
fi
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver
fi
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

port_file="$(mktemp)"
pkg_dir="$(mktemp -d)"
# The server reads our pipe as its standard input and exits when it closes, so it cannot
# outlive this script however the script ends.
exec 3> >(exec node wasm-client/tests/support/server.mjs >"$port_file")
server_pid=$!
trap 'exec 3>&-; kill "$server_pid" 2>/dev/null || true; rm -rf "$port_file" "$pkg_dir"' EXIT
for _ in $(seq 100); do
  grep -q '^PORT ' "$port_file" && break
  sleep 0.1
done
port="$(sed -n 's/^PORT //p' "$port_file")"
if [ -z "$port" ]; then
  echo "test-wasm: the socket.io server did not start" >&2
  exit 1
fi
echo "test-wasm: socket.io $(node -p "require(require('node:module').createRequire('${SOCKEYE_NODE_MODULES:-$PWD}/package.json').resolve('socket.io/package.json')).version" 2>/dev/null || echo '?') on 127.0.0.1:$port"

export SOCKEYE_TEST_URL="http://127.0.0.1:$port"
cargo test -p sockeye-client --target wasm32-unknown-unknown --features rust-api "$@"

bash scripts/build-client.sh "$pkg_dir"
node_flags=()
if ! node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' &&
  node --experimental-websocket -e '' 2>/dev/null; then
  node_flags+=(--experimental-websocket)
fi
SOCKEYE_PKG="$pkg_dir" node "${node_flags[@]}" --test wasm-client/tests/js/
