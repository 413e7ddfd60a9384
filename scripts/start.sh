#!/usr/bin/env bash
# What `npm start` runs: builds everything the chat demo needs, then serves it on
# http://127.0.0.1:3000 (PORT to change it; extra arguments go to sockeye-server):
#   - the browser client (scripts/build-client.sh: pkg/, with its own set-up: the wasm32 target,
#     the pinned wasm-bindgen CLI, node_modules),
#   - the Yew demo (scripts/build-yew.sh: www/yew/, served at /yew/),
#   - sockeye-server in release,
# on a fresh Debian machine with rustup and Node.js 20 (a C linker is installed when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

ensure_linker
bash scripts/build-client.sh pkg
bash scripts/build-yew.sh www/yew
cargo build --release --locked -p sockeye-server --bin sockeye-server --features jemalloc
echo
echo "start: the chat demo on http://127.0.0.1:${PORT:-3000}/ (the Yew one on /yew/); Ctrl-C stops it"
exec "${CARGO_TARGET_DIR:-target}/release/sockeye-server" --host 127.0.0.1 --port "${PORT:-3000}" \
  --www www --client-dir pkg "$@"
