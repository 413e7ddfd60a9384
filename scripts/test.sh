#!/usr/bin/env bash
# Every check CI runs, in order, stopping at the first failure. It also does all the set-up a fresh
# Debian machine with rustup and Node 20 needs, so `npm test` is the one command to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "set-up: a C linker, rust components and targets"
. scripts/lib/setup.sh
ensure_linker
installed_components="$(rustup component list --installed)"
for component in rustfmt clippy; do
  grep -q "^${component}" <<<"$installed_components" || rustup component add "$component"
done
installed_targets="$(rustup target list --installed)"
for target in wasm32-unknown-unknown wasm32v1-none; do
  grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked || echo "cargo-nextest could not be installed; falling back to cargo test"
fi

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p sockeye-server --all-targets --features jemalloc -- -D warnings
cargo clippy -p sockeye-server --lib --bins --no-default-features -- -D warnings

step "cargo clippy -p sockeye-core -p sockeye-client --target wasm32-unknown-unknown -- -D warnings"
cargo clippy -p sockeye-core -p sockeye-client --target wasm32-unknown-unknown -- -D warnings

step "cargo clippy -p sockeye-client --target wasm32-unknown-unknown (the npm build: no_std; and the rust-api feature)"
cargo clippy -p sockeye-client --target wasm32-unknown-unknown --no-default-features -- -D warnings
cargo clippy -p sockeye-client --target wasm32-unknown-unknown --all-targets --features rust-api -- -D warnings

step "cargo build -p sockeye-core --no-default-features --target wasm32v1-none (no_std proof, with and without serde)"
cargo build -p sockeye-core --no-default-features --target wasm32v1-none
cargo build -p sockeye-core --no-default-features --features serde --target wasm32v1-none

step "cargo build -p sockeye-core --target wasm32-unknown-unknown"
cargo build -p sockeye-core --target wasm32-unknown-unknown

step "cargo test --workspace --doc"
cargo test --workspace --doc

# node_modules is reinstalled only when package-lock.json changed since the last `npm ci` (its hash
# is kept in a stamp file inside node_modules, so a fresh or deleted node_modules reinstalls too).
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.package-lock.sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  step "npm ci (package-lock.json changed, or no node_modules)"
  npm ci
  echo "$lock_hash" >"$stamp"
fi

step "cargo build -p sockeye-server --examples --bins --features jemalloc, and sockeye-redis's (the servers and the emitter the tests start, as npm start builds them)"
cargo build -p sockeye-server --examples --bins --features jemalloc
cargo build -p sockeye-redis --examples

step "node --test scripts/lib/benchmarks.test.cjs (the benchmark scripts' load check)"
node --test scripts/lib/benchmarks.test.cjs

step "node --test tests/interop/ (the official socket.io-client against our server)"
node --test tests/interop/

step "bash scripts/load-smoke.sh (the load generator against sockeye-server, 10 s)"
bash scripts/load-smoke.sh

# Once, before the cluster tests: their three files run at once, and three apt-get runs would
# fight over dpkg's lock.
if ! command -v redis-server >/dev/null && [ -z "${REDIS_SERVER:-}" ]; then
  step "apt-get install redis-server (the cluster tests' Redis)"
  apt-get update -qq
  apt-get install -y -qq redis-server
fi

step "node --test tests/cluster/ (Redis adapters and emitter: Sockeye and Node socket.io nodes sharing a real redis-server)"
node --test tests/cluster/

step "browser client: wasm-bindgen tests in headless Chromium and the ESM wrapper (scripts/test-wasm.sh)"
bash scripts/test-wasm.sh

step "bash scripts/build-client.sh (pkg/: the npm package's browser client)"
bash scripts/build-client.sh pkg

step "bash scripts/build-yew.sh (www/yew/: the Yew demo), its fmt and clippy"
bash scripts/build-yew.sh www/yew
cargo fmt --manifest-path www/yew-chat/Cargo.toml -- --check
cargo clippy --manifest-path www/yew-chat/Cargo.toml --locked --all-targets --target wasm32-unknown-unknown \
  --target-dir "${CARGO_TARGET_DIR:-$PWD/target}/yew-chat" --release -- -D warnings

if ! command -v chromium >/dev/null && [ -z "${CHROMIUM:-}" ]; then
  step "apt-get install chromium (the browser tests' browser)"
  apt-get update -qq
  apt-get install -y -qq chromium
fi

step "node --test tests/browser/ (the npm package in Chromium against sockeye-server and socket.io 4.8; no leaks, on a --debug-counters build)"
bash scripts/build-client.sh --debug-counters "${CARGO_TARGET_DIR:-target}/pkg-debug-counters"
SOCKEYE_DEBUG_PKG="${CARGO_TARGET_DIR:-target}/pkg-debug-counters" node --test tests/browser/

step "node --test tests/e2e/ tests/package/ (Chromium: the chat demo, the Yew demo, the npm package)"
node --test tests/e2e/ tests/package/

step "bash scripts/check-publish.sh (cargo package with verification, cargo doc -D warnings, rust-version, the npm tarball, CHANGELOG)"
bash scripts/check-publish.sh

# Last, so that the final line of output is the test runner's own summary.
if cargo nextest --version >/dev/null 2>&1; then
  step "cargo nextest run --workspace"
  cargo nextest run --workspace
else
  step "cargo test --workspace --lib --bins --tests"
  # cargo test ends with a blank line; drop trailing blank lines so its summary stays last.
  cargo test --workspace --lib --bins --tests 2>&1 | awk 'NF { while (blank) { print ""; blank-- } print; next } { blank++ }'
fi
