#!/usr/bin/env bash
# Every check CI runs, in order, stopping at the first failure. It also does all the set-up a fresh
# Debian machine with rustup and Node 20 needs, so `npm test` is the one command to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "set-up: rust components and targets"
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

step "cargo clippy -p sockeye-core --target wasm32-unknown-unknown -- -D warnings"
cargo clippy -p sockeye-core --target wasm32-unknown-unknown -- -D warnings

step "cargo build -p sockeye-core --no-default-features --target wasm32v1-none (no_std proof)"
cargo build -p sockeye-core --no-default-features --target wasm32v1-none

step "cargo build -p sockeye-core --target wasm32-unknown-unknown"
cargo build -p sockeye-core --target wasm32-unknown-unknown

step "cargo test --workspace --doc"
cargo test --workspace --doc

# Last, so that the final line of output is the test runner's own summary.
if cargo nextest --version >/dev/null 2>&1; then
  step "cargo nextest run --workspace"
  cargo nextest run --workspace
else
  step "cargo test --workspace --lib --bins --tests"
  # cargo test ends with a blank line; drop trailing blank lines so its summary stays last.
  cargo test --workspace --lib --bins --tests 2>&1 | awk 'NF { while (blank) { print ""; blank-- } print; next } { blank++ }'
fi
