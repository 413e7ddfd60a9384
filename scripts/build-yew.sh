#!/usr/bin/env bash
# Builds the Yew chat demo (www/yew-chat/, its own cargo workspace) into www/yew/, which
# `sockeye-server --www www` serves at /yew/: cargo in release for wasm32 (target/yew-chat/, so
# a rebuild is incremental), then wasm-bindgen's `--target web` glue and the page. No trunk, no
# wasm-opt: a demo, built in about 30 s from nothing on two cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

out="${1:-www/yew}"
ensure_linker
ensure_wasm_target
ensure_wasm_bindgen

target_dir="${CARGO_TARGET_DIR:-$PWD/target}/yew-chat"
cargo build --manifest-path www/yew-chat/Cargo.toml --locked --release --target wasm32-unknown-unknown \
  --target-dir "$target_dir"
rm -rf "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "$target_dir/wasm32-unknown-unknown/release/sockeye_yew_chat.wasm"
cp www/yew-chat/index.html "$out/"
printf 'build-yew: %s: %s bytes, %s gzipped (-9)\n' "$out/sockeye_yew_chat_bg.wasm" \
  "$(wc -c <"$out/sockeye_yew_chat_bg.wasm")" "$(gzip -9 -c "$out/sockeye_yew_chat_bg.wasm" | wc -c)"
