# The one place that installs what the scripts need: every script in scripts/ sources this file
# (from the repository root) and calls the `ensure_*` steps it needs; each does nothing when its
# tool is already there, so a second run costs a few `command -v`s. On a fresh Debian machine with
# rustup and Node.js 20, `bash scripts/test.sh --setup-only` installs everything `npm test` uses.
#
# System packages come from apt-get (as root; otherwise the step says what to install and fails).
# CHROMIUM, CHROMEDRIVER and REDIS_SERVER name binaries elsewhere and skip their packages.

# Cargo's target directory (CARGO_TARGET_DIR or .cargo/config.toml may move it from target/).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))'
}

_setup_apt_updated=""
# ensure_command COMMAND PACKAGE...: Debian's PACKAGEs when COMMAND is not on the PATH (one
# `apt-get update` per run of a script, however many packages it installs).
ensure_command() {
  local command="$1"
  shift
  command -v "$command" >/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: $command not found: install it, e.g. sudo apt-get install $*" >&2
    return 1
  fi
  echo "setup: apt-get install $* (for $command)" >&2
  if [ -z "$_setup_apt_updated" ]; then
    apt-get update -qq
    _setup_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# A C linker: rustc links native binaries (the server, build scripts, proc macros) with `cc`.
ensure_linker() { ensure_command cc gcc libc6-dev; }

# Headless Chromium for the browser tests and benchmarks, and its WebDriver for wasm-bindgen-test.
ensure_chromium() {
  [ -n "${CHROMIUM:-}" ] || ensure_command chromium chromium
  [ -n "${CHROMEDRIVER:-}" ] || ensure_command chromedriver chromium-driver
}

# redis-server for the cluster tests and benchmarks (tests/cluster/support.mjs starts its own).
ensure_redis() { [ -n "${REDIS_SERVER:-}" ] || ensure_command redis-server redis-server; }

# ensure_rustup_components COMPONENT...: of the active toolchain (rustfmt, clippy).
ensure_rustup_components() {
  local installed component
  installed="$(rustup component list --installed)"
  for component in "$@"; do
    grep -q "^${component}" <<<"$installed" || rustup component add "$component"
  done
}

# ensure_rust_targets TARGET...: of the active toolchain.
ensure_rust_targets() {
  local installed target
  installed="$(rustup target list --installed)"
  for target in "$@"; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target"
  done
}
ensure_wasm_target() { ensure_rust_targets wasm32-unknown-unknown; }

# ensure_rust_toolchain NAME [COMPONENT...]: a toolchain beside the active one (nightly, for
# cargo-fuzz; the npm build's dated nightly, with rust-src), and its COMPONENTs.
ensure_rust_toolchain() {
  local name="$1" host installed component
  shift
  host="$(rustc -vV | sed -n 's/^host: //p')"
  # Exactly NAME: `nightly` must not match `nightly-2026-05-20`.
  if ! rustup toolchain list | sed 's/ .*//' | grep -qx -e "$name" -e "$name-$host"; then
    local args=(--profile minimal)
    for component in "$@"; do args+=(--component "$component"); done
    rustup toolchain install "$name" "${args[@]}"
    return
  fi
  installed="$(rustup component list --installed --toolchain "$name")"
  for component in "$@"; do
    grep -q "^${component}" <<<"$installed" || rustup component add "$component" --toolchain "$name"
  done
}

# The npm build's toolchain (scripts/build-client.sh): a nightly pinned by date, so that every
# machine builds the same module, with rust-src for `-Zbuild-std` (core and alloc rebuilt with the
# module's panic and formatting settings). Everything else (tests, clippy, the server, the
# stable `cargo build --target wasm32-unknown-unknown -p sockeye-client`) stays on stable.
NPM_TOOLCHAIN=nightly-2026-05-20
ensure_npm_toolchain() { ensure_rust_toolchain "$NPM_TOOLCHAIN" rust-src; }

# cargo-fuzz and the nightly toolchain it needs (the fuzz targets' runner).
ensure_cargo_fuzz() {
  ensure_rust_toolchain nightly
  cargo +nightly fuzz --version >/dev/null 2>&1 || cargo +nightly install cargo-fuzz --locked
}

# The wasm-bindgen CLI (wasm-bindgen and wasm-bindgen-test-runner) of exactly the version
# Cargo.toml pins (about 90 s to install when missing or different: a CLI and a library of
# different versions refuse each other's output).
ensure_wasm_bindgen() {
  local version
  version="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
  if [ -z "$version" ]; then
    echo "setup: no pinned wasm-bindgen version in Cargo.toml" >&2
    return 1
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ] ||
    [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "wasm-bindgen-test-runner $version" ]; then
    # Without --locked: one of the CLI's locked dependencies is missing from the registry here.
    cargo install wasm-bindgen-cli --version "$version"
  fi
}

# ensure_cargo_tool COMMAND CRATE: `cargo install --locked CRATE` when COMMAND does not run
# (`cargo nextest` for cargo-nextest, `twiggy` for twiggy).
ensure_cargo_tool() {
  local command="$1" crate="$2"
  # shellcheck disable=SC2086 # the command may be two words (cargo nextest)
  $command --version >/dev/null 2>&1 || cargo install "$crate" --locked
}

# node_modules as package-lock.json says (`npm ci`), reinstalled only when the lock changed since
# the last install: its hash is kept in a stamp file inside node_modules, so a fresh or deleted
# node_modules reinstalls too. The only check of node_modules the scripts make.
ensure_node_modules() {
  local lock_hash stamp=node_modules/.package-lock.sha256
  lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
    echo "setup: npm ci (package-lock.json changed, or no node_modules)" >&2
    npm ci --no-audit --no-fund
    echo "$lock_hash" >"$stamp"
  fi
}

# Everything `npm test` (scripts/test.sh) uses, in one go: apt-get's packages first, so that one
# `apt-get update` serves them all.
setup_for_tests() {
  ensure_linker
  ensure_redis
  ensure_chromium
  ensure_rustup_components rustfmt clippy
  ensure_rust_targets wasm32-unknown-unknown wasm32v1-none
  ensure_npm_toolchain
  ensure_cargo_tool "cargo nextest" cargo-nextest ||
    echo "setup: cargo-nextest could not be installed; the unit tests fall back to cargo test" >&2
  ensure_wasm_bindgen
  ensure_node_modules
}
