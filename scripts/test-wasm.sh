#!/usr/bin/env bash
# Runs the browser client's tests (wasm-client/tests/, wasm-bindgen-test in headless Chromium)
# against the official Node `socket.io` server (wasm-client/tests/support/server.mjs), which this
# script starts on a free port of 127.0.0.1 and stops at the end. The server's URL reaches the
# tests at compile time as SOCKEYE_TEST_URL.
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
  apt-get install -y chromium chromium-driver
fi
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

port_file="$(mktemp)"
# The server reads our pipe as its standard input and exits when it closes, so it cannot
# outlive this script however the script ends.
exec 3> >(exec node wasm-client/tests/support/server.mjs >"$port_file")
server_pid=$!
trap 'exec 3>&-; kill "$server_pid" 2>/dev/null || true; rm -f "$port_file"' EXIT
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

SOCKEYE_TEST_URL="http://127.0.0.1:$port" \
  cargo test -p sockeye-client --target wasm32-unknown-unknown --features rust-api "$@"
