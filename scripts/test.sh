#!/usr/bin/env bash
# `npm test`: every check CI runs (.ci/run runs this), in order, stopping at the first failure.
# Set-up first (scripts/lib/setup.sh: a C linker, redis-server, Chromium, rust components and
# targets, cargo-nextest, the pinned wasm-bindgen CLI, node_modules; each only when missing), then
# the fast checks, then the builds and the test suites; the unit tests last, so that the final
# line of output is the test runner's summary.
#
#   bash scripts/test.sh [--setup-only]     # --setup-only: install what is missing, then stop
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/setup.sh

target="${CARGO_TARGET_DIR:-$PWD/target}"
# step TITLE COMMAND...: prints the title, then runs the command.
step() {
  printf '\n==> %s\n' "$1"
  shift
  "$@"
}

case "${1:-}" in
  --setup-only | "") ;;
  *) echo "usage: bash scripts/test.sh [--setup-only]" >&2; exit 2 ;;
esac
step "set-up: what is missing of a C linker, redis-server, Chromium, rust components and targets, cargo-nextest, wasm-bindgen, node_modules" \
  setup_for_tests
[ "${1:-}" != --setup-only ] || exit 0

clippy_native() {
  cargo clippy --workspace --all-targets -- -D warnings
  # The native client (sockeye-client's `native` feature), its tests and its echo example.
  cargo clippy -p sockeye-client --all-targets --features native -- -D warnings
  cargo clippy -p sockeye-server --all-targets --features jemalloc -- -D warnings
  cargo clippy -p sockeye-server --lib --bins --no-default-features -- -D warnings
}
clippy_wasm() {
  cargo clippy -p sockeye-core -p sockeye-client --target wasm32-unknown-unknown -- -D warnings
  # The npm build (no_std), and the typed Rust API.
  cargo clippy -p sockeye-client --target wasm32-unknown-unknown --no-default-features -- -D warnings
  cargo clippy -p sockeye-client --target wasm32-unknown-unknown --no-default-features --features msgpack -- -D warnings
  cargo clippy -p sockeye-client --target wasm32-unknown-unknown --all-targets --features rust-api -- -D warnings
}
core_builds() {
  # no_std proven by a target without std, with and without serde; then the browser's target.
  cargo build -p sockeye-core --no-default-features --target wasm32v1-none
  cargo build -p sockeye-core --no-default-features --features serde --target wasm32v1-none
  cargo build -p sockeye-core --target wasm32-unknown-unknown
}
test_servers() {
  # The servers and the emitter the tests start, built as `npm start` builds them (jemalloc).
  cargo build -p sockeye-server --examples --bins --features jemalloc
  cargo build -p sockeye-redis --examples
}
yew_demo() {
  bash scripts/build-yew.sh www/yew
  cargo fmt --manifest-path www/yew-chat/Cargo.toml -- --check
  cargo clippy --manifest-path www/yew-chat/Cargo.toml --locked --all-targets --target wasm32-unknown-unknown \
    --target-dir "$target/yew-chat" --release -- -D warnings
  # The hooks (yew-hooks/, a workspace of its own too); their browser tests run in test-wasm.sh.
  # Checked in the demo's target directory and profile, which hold most of what they depend on.
  cargo fmt --manifest-path yew-hooks/Cargo.toml -- --check
  cargo clippy --manifest-path yew-hooks/Cargo.toml --locked --all-targets --target wasm32-unknown-unknown \
    --target-dir "$target/yew-chat" --release -- -D warnings
}
browser_tests() {
  # On a --debug-counters build: the leak test reads the client's live-object counters.
  bash scripts/build-client.sh --debug-counters "$target/pkg-debug-counters"
  SOCKEYE_DEBUG_PKG="$target/pkg-debug-counters" node --test tests/browser/
}
unit_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --features sockeye-client/native
  else
    # cargo test ends with a blank line; drop trailing blank lines so its summary stays last.
    cargo test --workspace --lib --bins --tests --features sockeye-client/native 2>&1 | awk 'NF { while (blank) { print ""; blank-- } print; next } { blank++ }'
  fi
}

step "layout: no import cycle between a crate's files, no file over 1,000 lines (scripts/check-layout.mjs)" \
  node scripts/check-layout.mjs --quiet
step "the scripts' own tests (the layout check, the benchmarks' load gate)" \
  node --test scripts/check-layout.test.mjs scripts/lib/benchmarks.test.cjs
step "tsc --strict -p tests/types (the package's TypeScript declarations, used as socket.io's TypeScript guide does, and with the interfaces a Rust schema generates)" \
  node_modules/.bin/tsc -p tests/types
step "cargo fmt --all -- --check" cargo fmt --all -- --check
step "cargo clippy --workspace --all-targets (and sockeye-server with jemalloc, without default features)" clippy_native
step "cargo clippy --target wasm32-unknown-unknown (core and client; the npm build; the rust-api feature)" clippy_wasm
step "cargo build -p sockeye-core: no_std (wasm32v1-none, with and without serde), wasm32-unknown-unknown" core_builds
step "cargo test --workspace --doc (with the native client's README quick start)" cargo test --workspace --doc --features sockeye-client/native
step "cargo build: the example servers and binaries the tests start" test_servers
step "node --test tests/interop/ (the official socket.io-client against our server)" node --test tests/interop/
step "the load generator against sockeye-server, 10 s (scripts/load-smoke.sh)" bash scripts/load-smoke.sh
step "node --test tests/cluster/ (Sockeye and Node socket.io nodes sharing a real redis-server)" node --test tests/cluster/
step "the browser client's own tests and the Yew hooks' in headless Chromium, against both servers (scripts/test-wasm.sh)" \
  bash scripts/test-wasm.sh
step "the npm package's browser client into pkg/ (scripts/build-client.sh)" bash scripts/build-client.sh pkg
step "the Yew demo into www/yew/ (scripts/build-yew.sh), its fmt and clippy, and the Yew hooks' (yew-hooks/)" yew_demo
step "node --test tests/browser/ (the npm package in Chromium against both servers; no leaks)" browser_tests
step "node --test tests/e2e/ tests/package/ tests/types/ (Chromium: the chat demo, the Yew demo, the npm package; its declarations against its exports)" \
  node --test tests/e2e/ tests/package/ tests/types/
step "publishing: cargo package with verification, cargo doc -D warnings, rust-version, the npm tarball, CHANGELOG (scripts/check-publish.sh)" \
  bash scripts/check-publish.sh
step "the unit, property and integration tests, the typed events' compile-fail cases (cargo nextest run --workspace --features sockeye-client/native)" unit_tests
