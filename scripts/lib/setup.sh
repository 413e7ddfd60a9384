# Set-up steps the build and benchmark scripts share; each does nothing when its tool is already
# there. Sourced (not run) from the repository root by the scripts in scripts/.

# Cargo's target directory (CARGO_TARGET_DIR or .cargo/config.toml may move it from target/).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))'
}

# The wasm32 target of the active toolchain.
ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

# The wasm-bindgen CLI of exactly the version Cargo.toml pins (about 90 s to install when missing
# or different: a CLI and a library of different versions refuse each other's output).
ensure_wasm_bindgen() {
  local version
  version="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"
  if [ -z "$version" ]; then
    echo "setup: no pinned wasm-bindgen version in Cargo.toml" >&2
    return 1
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    # Without --locked: one of the CLI's locked dependencies is missing from the registry here.
    cargo install wasm-bindgen-cli --version "$version"
  fi
}

# node_modules as package-lock.json says (`npm ci`), reinstalled only when the lock changed since
# the last install: its hash is kept in a stamp file inside node_modules, as scripts/test.sh does.
ensure_node_modules() {
  local lock_hash stamp=node_modules/.package-lock.sha256
  lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
    npm ci --no-audit --no-fund
    echo "$lock_hash" >"$stamp"
  fi
}

# A C linker: rustc links native binaries (the server) with `cc`, which a fresh Debian lacks.
ensure_linker() {
  command -v cc >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq gcc libc6-dev
  else
    echo "setup: no C linker (cc): install one, e.g. sudo apt-get install gcc" >&2
    return 1
  fi
}
