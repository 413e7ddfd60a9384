#!/usr/bin/env bash
# Builds the npm package's browser client into pkg/ (or the folder given): the wasm module
# (profile `wasm-release`: opt-level "z", fat LTO, one codegen unit, panic abort; the crate's
# `std` feature off, so it is no_std with a trap panic handler and the TLSF allocator; on the
# pinned nightly of scripts/lib/setup.sh, see NIGHTLY_FLAGS below),
# wasm-bindgen's `--target web` glue, the ESM wrapper (wasm-client/js/index.js, which
# instantiates the module on import, and client.js, the API it re-exports) and its TypeScript declarations;
# then the same again with the crate's `msgpack` feature (the MessagePack parser) into OUT_DIR/msgpack/,
# the package's `sockeye/msgpack` module, built in a target directory of its own (msgpack/ in the
# cargo one) so that neither build replaces the other's module. For each module:
#   - shrinks the module with `wasm-opt -Oz` and the flags below (binaryen, a devDependency:
#     node_modules/.bin/wasm-opt, or $WASM_OPT), skipped with a warning when it is missing;
#   - shortens the names the module and the glue share (scripts/lib/shorten-names.mjs);
# and prints the sizes. scripts/bench-size.sh measures the bundle this makes.
#
#   bash scripts/build-client.sh [--debug-counters] [OUT_DIR]
#
# --debug-counters builds the same package with the crate's `debug-counters` feature (counts of
# live timers, closures, WebSocket handlers and drivers, exported by the glue as `debugCounters()`)
# for the leak test, tests/browser/leaks.test.mjs; into OUT_DIR (default: pkg-debug-counters/ in
# the cargo target directory), built in a target directory of its own (debug-counters/ in that
# one) so that it never replaces the npm build's module.
#
# It installs what it needs first (scripts/lib/setup.sh), each only when missing: a C linker (build
# scripts and proc macros run on the host), the wasm32 target, the pinned nightly with rust-src
# (rustup, about 20 s), the wasm-bindgen CLI of exactly the version Cargo.toml pins (about 90 s),
# and node_modules (`npm ci`: binaryen's wasm-opt). SOCKEYE_STABLE=1 builds the module with the
# stable toolchain instead (the flags below left out: about 2 KB gzip larger), as the build does,
# with a warning, when rustup cannot install the nightly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

features=()
if [ "${1:-}" = "--debug-counters" ]; then
  shift
  features=(--features debug-counters)
  out="${1:-}"
else
  out="${1:-pkg}"
fi
ensure_linker
ensure_wasm_target
ensure_wasm_bindgen
ensure_node_modules
# The nightly's options, for the npm build only: core and alloc rebuilt (`-Zbuild-std`) with
# `-Cpanic=immediate-abort` (a panic is a trap where it happens, without core's panic functions
# and their messages: the no_std panic handler traps anyway), `-Zlocation-detail=none` (no file
# names and lines for panics nobody reads) and `-Zfmt-debug=none` (`{:?}` prints nothing: the
# module never shows a Debug text): 1,747 B gzip less module (scripts/lib/size-levers.tsv).
NIGHTLY_FLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
cargo=(cargo)
if [ "${SOCKEYE_STABLE:-0}" = 1 ]; then
  :
elif ensure_npm_toolchain; then
  cargo=(cargo "+$NPM_TOOLCHAIN" -Zbuild-std=core,alloc)
  export RUSTFLAGS="$NIGHTLY_FLAGS"
else
  echo "build-client: no $NPM_TOOLCHAIN (rustup could not install it): building with stable, a larger module" >&2
fi

target_dir="$(cargo_target_dir)"
if [ ${#features[@]} -gt 0 ]; then
  out="${out:-$target_dir/pkg-debug-counters}"
fi
# scripts/bench-size.sh optimizes its copy with names (for twiggy) with the same flags.
WASM_OPT_FLAGS="--merge-similar-functions -Oz --converge -ocimfs 35 -aimfs 4 --low-memory-unused"
wasm_opt="${WASM_OPT:-node_modules/.bin/wasm-opt}"
if [ ! -x "$wasm_opt" ]; then
  echo "build-client: $wasm_opt not found (npm install binaryen); skipping wasm-opt" >&2
fi

# build_module DIR NAME TARGET_DIR [CARGO_ARGS...]: the module (DIR/NAME_bg.wasm) and its glue
# (DIR/NAME.js), built in TARGET_DIR.
build_module() {
  local dir="$1" name="$2" target="$3"
  shift 3
  "${cargo[@]}" build -p sockeye-client --target wasm32-unknown-unknown --profile wasm-release \
    --no-default-features --target-dir "$target" "$@"
  # wasm-bindgen names its output after its input.
  local built="$target/wasm32-unknown-unknown/wasm-release"
  if [ "$name" != sockeye_client ]; then
    cp "$built/sockeye_client.wasm" "$built/$name.wasm"
  fi
  # `--target web`: an ES module that any bundler (esbuild, Vite) and a plain <script type="module">
  # load alike; the wrapper hands it the .wasm URL (or, under Node.js, the file's bytes).
  wasm-bindgen --target web --no-typescript --omit-default-module-path --encode-into always --out-dir "$dir" \
    "$built/$name.wasm"
  local wasm="$dir/${name}_bg.wasm"
  if [ -x "$wasm_opt" ]; then
    # --merge-similar-functions (first): functions that differ only in constants become one with a
    # parameter (monomorphized copies, mostly): 34 B gzipped.
    # --converge: runs the passes again until the module stops shrinking (a few hundred bytes).
    # -ocimfs 35: a function with one caller is inlined into it only when small (binaryen's default
    # inlines any size): the module gets larger, but it gzips 0.9 KB smaller (20, the value before:
    # 0.1 KB larger; 50 and over: larger still; a noisy optimum, worth measuring again now and
    # then). -aimfs 4: functions
    # of up to 4 bytes are inlined everywhere (the default is 2): 0.1 KB.
    # --low-memory-unused: the module's data and stack start above the first 1 KB (rust-lld's
    # layout), so constant addresses can fold into loads' and stores' offsets (0.1 KB).
    # shellcheck disable=SC2086 # the flags are words
    "$wasm_opt" $WASM_OPT_FLAGS --strip-debug --strip-producers --strip-target-features "$wasm" -o "$wasm.opt"
    mv "$wasm.opt" "$wasm"
  fi
  node scripts/lib/shorten-names.mjs "$wasm" "$dir/$name.js"
  printf 'build-client: %s: %s bytes, %s gzipped (-9)\n' "$wasm" "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
}

rm -rf "$out"
if [ ${#features[@]} -gt 0 ]; then
  build_module "$out" sockeye_client "$target_dir/debug-counters" "${features[@]}"
else
  build_module "$out" sockeye_client "$target_dir"
fi
cp wasm-client/js/index.js wasm-client/js/client.js wasm-client/js/debug.js wasm-client/js/index.d.ts "$out/"
if [ ${#features[@]} -eq 0 ]; then
  # `sockeye/msgpack`: the same wrapper over the MessagePack module, in msgpack/ (its client.js an
  # instance of its own, bound to that module; the debug log shared). Its files have names of
  # their own, so that a bundle holding both builds (esbuild leaves `new URL("x.wasm",
  # import.meta.url)` alone) can have both modules beside it.
  build_module "$out/msgpack" sockeye_msgpack "$target_dir/msgpack" --features msgpack
  sed 's#"\./sockeye_client\.js"#"./sockeye_msgpack.js"#; s#"sockeye_client_bg\.wasm"#"sockeye_msgpack_bg.wasm"#' \
    wasm-client/js/index.js >"$out/msgpack/index.js"
  sed 's#"\./sockeye_client\.js"#"./sockeye_msgpack.js"#; s#"\./debug\.js"#"../debug.js"#' \
    wasm-client/js/client.js >"$out/msgpack/client.js"
  # Each rewrite took: a stale name would load the JSON build's module.
  if grep -q 'sockeye_client\|"./debug.js"' "$out/msgpack/index.js" "$out/msgpack/client.js"; then
    echo "build-client: msgpack/index.js or client.js still names the JSON build's files" >&2
    exit 1
  fi
  cp wasm-client/js/msgpack.d.ts "$out/msgpack/index.d.ts"
fi

# The classic-script build (a global `io`) into $out/classic/, which sockeye-server serves at /socket.io/.
node scripts/build-classic.mjs "$out"
