#!/usr/bin/env bash
# Builds the npm package's browser client into pkg/: the wasm module (release profile
# `wasm-release`: opt-level "z", LTO, panic abort), wasm-bindgen's `--target web` glue, the ESM
# wrapper (wasm-client/js/index.js, which instantiates the module on import) and its TypeScript
# declarations. Then shrinks the module with `wasm-opt -Oz` when the npm `binaryen` package is
# installed (a devDependency), and prints the sizes.
#
# The wasm-bindgen CLI must be exactly the version Cargo.toml pins; it is installed (about 90 s)
# only when missing or different.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${1:-pkg}"
version="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
if [ -z "$version" ]; then
  echo "build-client: no pinned wasm-bindgen version in Cargo.toml" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  cargo install wasm-bindgen-cli --version "$version"
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

cargo build -p sockeye-client --target wasm32-unknown-unknown --profile wasm-release
target_dir="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))')"

rm -rf "$out"
# `--target web`: an ES module that any bundler (esbuild, Vite) and a plain <script type="module">
# load alike; the wrapper hands it the .wasm URL (or, under Node.js, the file's bytes).
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "$target_dir/wasm32-unknown-unknown/wasm-release/sockeye_client.wasm"
wasm="$out/sockeye_client_bg.wasm"
wasm_opt="${WASM_OPT:-node_modules/.bin/wasm-opt}"
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" -Oz --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
else
  echo "build-client: $wasm_opt not found (npm install binaryen); skipping wasm-opt" >&2
fi
cp wasm-client/js/index.js wasm-client/js/index.d.ts "$out/"

printf 'build-client: %s: %s bytes, %s gzipped (-9)\n' "$wasm" "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
