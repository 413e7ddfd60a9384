#!/usr/bin/env bash
# Ready to publish: checks what `cargo publish` and `npm publish` would ship, without shipping it.
#
#   1. CHANGELOG.md has an `## [Unreleased]` section (Keep a Changelog).
#   2. Every publishable crate (the workspace's members without `publish = false`) has complete
#      metadata, and its .crate holds only its code, Cargo.toml, README.md and the license files.
#   3. `cargo package` of all of them at once, with its verification: each .crate is unpacked and
#      built on its own, the crates it depends on coming from a local registry of the others'
#      .crate files, so a path dependency without a version fails here as `cargo publish` would.
#   4. `cargo doc` of each crate with `-D warnings`, with the features docs.rs builds it with
#      ([package.metadata.docs.rs]); and, when a nightly toolchain is installed, as docs.rs builds it
#      (nightly, `--cfg docsrs`) for the crates whose code reads that cfg.
#   5. The crates build with their `rust-version` (`cargo +<rust-version> check`, the toolchain
#      installed with rustup's minimal profile when missing; SKIP_MSRV=1 skips it).
#   6. The npm tarball (`npm pack --dry-run`) holds the files of an allow-list and nothing else, and
#      every file package.json's main, types and exports name. pkg/ is built first when missing.
#
# Every check runs even after one fails; the script fails at the end if any did, and prints how long
# each took. Builds go to the workspace's target directory (CARGO_TARGET_DIR when set), so that the
# verification reuses what the other steps compiled where it can (dependencies with the same features).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=()
start_all=$SECONDS
step() { printf '\n==> check-publish: %s\n' "$*"; step_start=$SECONDS; }
done_step() { printf '    (%d s)\n' "$((SECONDS - step_start))"; }
fail() {
  printf 'check-publish: FAILED: %s\n' "$*" >&2
  failed+=("$*")
}

# The workspace's publishable crates, their docs.rs features and rust-version, from cargo metadata.
metadata="$(cargo metadata --format-version 1 --no-deps)" || exit 1
crates_json="$(node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const crates = m.packages
    .filter((p) => m.workspace_members.includes(p.id) && !(Array.isArray(p.publish) && p.publish.length === 0))
    .map((p) => ({
      name: p.name,
      dir: require("path").dirname(p.manifest_path),
      description: p.description, license: p.license, repository: p.repository, readme: p.readme,
      keywords: p.keywords, categories: p.categories, rust_version: p.rust_version,
      docs_features: (p.metadata?.docs?.rs?.features ?? []).join(","),
      docs_all_features: p.metadata?.docs?.rs?.["all-features"] === true,
    }));
  console.log(JSON.stringify({ crates, target: m.target_directory }));
' <<<"$metadata")" || exit 1
# One line per crate: its name, folder and docs.rs features ("-" for none, or "all").
mapfile -t crate_lines < <(node -e '
  for (const c of JSON.parse(process.argv[1]).crates) {
    console.log([c.name, c.dir, c.docs_all_features ? "all" : c.docs_features || "-"].join(" "));
  }' "$crates_json")
crates=()
for line in "${crate_lines[@]}"; do crates+=("${line%% *}"); done
target_dir="$(node -e 'console.log(JSON.parse(process.argv[1]).target)' "$crates_json")"
# cargo doc's feature arguments for docs.rs's features ("-": the default ones).
feature_args() {
  case "$1" in
  -) ;;
  all) echo "--all-features" ;;
  *) echo "--features $1" ;;
  esac
}
echo "check-publish: publishable crates: ${crates[*]}"

step "CHANGELOG.md has an Unreleased section"
if grep -q '^## \[Unreleased\]' CHANGELOG.md 2>/dev/null; then
  echo "    CHANGELOG.md: ## [Unreleased] found"
else
  fail "CHANGELOG.md has no '## [Unreleased]' section"
fi
done_step

step "crate metadata, and what each .crate holds"
problems="$(node -e '
  const fs = require("fs"), path = require("path");
  const { crates } = JSON.parse(process.argv[1]);
  const out = [];
  for (const c of crates) {
    for (const f of ["description", "license", "repository", "readme", "rust_version"]) {
      if (!c[f]) out.push(`${c.name}: no ${f}`);
    }
    if (!c.keywords?.length || c.keywords.length > 5) out.push(`${c.name}: keywords must be 1 to 5 (${c.keywords})`);
    if (!c.categories?.length || c.categories.length > 5) out.push(`${c.name}: categories must be 1 to 5`);
    if (c.readme && !fs.existsSync(path.join(c.dir, c.readme))) out.push(`${c.name}: readme ${c.readme} missing`);
  }
  console.log(out.join("\n"));
' "$crates_json")"
[ -z "$problems" ] || fail "metadata: $problems"
# Allowed in a .crate: the code, the README and the licenses, and what cargo adds.
allowed='^(src/.*|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json|README\.md|LICENSE-MIT|LICENSE-APACHE)$'
for crate in "${crates[@]}"; do
  list="$(cargo package -p "$crate" --list --allow-dirty 2>/dev/null)" || {
    fail "cargo package -p $crate --list"
    continue
  }
  for required in README.md LICENSE-MIT LICENSE-APACHE; do
    grep -qx "$required" <<<"$list" || fail "$crate: the .crate lacks $required"
  done
  extra="$(grep -Ev "$allowed" <<<"$list")"
  [ -z "$extra" ] || fail "$crate: the .crate holds files outside the allow-list: $(tr '\n' ' ' <<<"$extra")"
  echo "    $crate: $(wc -l <<<"$list") files"
done
done_step

step "cargo package (with verification): ${crates[*]}"
package_args=()
for crate in "${crates[@]}"; do package_args+=(-p "$crate"); done
# cargo unpacks the .crate files the verifications depend on into $CARGO_HOME/registry/src/<local
# registry>/ and reuses an unpacked copy of the same name and version as it finds it: a copy left
# by an earlier run (here always 0.1.0) would stand in for the crate as it is now. So this
# workspace's copies go first (the local registries' folders start with "-"; crates.io's do not).
for crate in "${crates[@]}"; do rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"$crate"-[0-9]*; done
# Offline: each verification would otherwise update the crates.io index (about 15 s each here);
# `cargo fetch` first brings whatever the lock file names and the cache lacks.
cargo fetch --quiet || echo "    cargo fetch failed: packaging offline from what the cache holds"
# The tests, benches and examples are left out of the .crate on purpose (include = [...]): cargo's
# note about each is not news.
if cargo package "${package_args[@]}" --allow-dirty --offline \
  2> >(grep -v 'is not included in the published package' >&2); then
  for crate in "${crates[@]}"; do
    file="$(ls "$target_dir/package/$crate"-*.crate 2>/dev/null | sort -V | tail -1)"
    bytes="$(stat -c %s "$file")"
    echo "    $(basename "$file"): $bytes bytes"
    # crates.io takes up to 10 MiB; this workspace's crates are well under 1 MiB.
    [ "$bytes" -lt 1048576 ] || fail "$(basename "$file") is $bytes bytes (over 1 MiB: what got in?)"
  done
else
  fail "cargo package ${package_args[*]}"
fi
done_step

step "cargo doc -D warnings (docs.rs features)"
for line in "${crate_lines[@]}"; do
  read -r crate _ features <<<"$line"
  # shellcheck disable=SC2046 # the feature arguments are words
  args=(-p "$crate" --no-deps $(feature_args "$features"))
  echo "    cargo doc ${args[*]}"
  RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings" cargo doc "${args[@]}" || fail "cargo doc ${args[*]} (warnings above)"
done
# docs.rs builds with nightly and `--cfg docsrs`: a crate that turns on a nightly feature under that
# cfg can fail there only (a feature nightly removed). Its own target directory: nightly's artifacts
# never replace stable's.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  for line in "${crate_lines[@]}"; do
    read -r crate dir features <<<"$line"
    grep -rqs 'docsrs' "$dir/src" || continue
    # shellcheck disable=SC2046 # the feature arguments are words
    args=(-p "$crate" --no-deps --target-dir "$target_dir/docsrs" $(feature_args "$features"))
    echo "    cargo +nightly doc ${args[*]} (--cfg docsrs, as docs.rs)"
    RUSTDOCFLAGS="--cfg docsrs -D warnings" cargo +nightly doc "${args[@]}" || fail "docs.rs build of $crate (cargo +nightly doc, --cfg docsrs)"
  done
else
  echo "    no nightly toolchain: the docs.rs build (nightly, --cfg docsrs) is not checked"
fi
done_step

msrv="$(node -e 'console.log(JSON.parse(process.argv[1]).crates[0]?.rust_version ?? "")' "$crates_json")"
step "cargo +$msrv check (rust-version)"
if [ "${SKIP_MSRV:-0}" = 1 ]; then
  echo "    SKIP_MSRV=1: not checked"
elif [ -z "$msrv" ]; then
  fail "no rust-version"
else
  rustup toolchain list | grep -q "^$msrv-" || rustup toolchain install "$msrv" --profile minimal
  cargo "+$msrv" check "${package_args[@]}" --lib --bins || fail "cargo +$msrv check: rust-version $msrv is too old"
fi
done_step

step "npm tarball (npm pack --dry-run)"
if [ ! -f pkg/sockeye_client_bg.wasm ]; then
  echo "    pkg/ is not built: scripts/build-client.sh pkg"
  bash scripts/build-client.sh pkg || fail "scripts/build-client.sh pkg"
fi
# --ignore-scripts: `prepack` would build pkg/ again.
if packed="$(npm pack --dry-run --json --ignore-scripts 2>/dev/null)"; then
  node -e '
    const fs = require("fs");
    const [packed] = JSON.parse(process.argv[1]);
    const files = packed.files.map((f) => f.path).sort();
    // What the package needs, and nothing else: the wasm client (pkg/), its ESM wrapper and
    // TypeScript declarations, the README, the licenses and package.json.
    const allowed = [
      "LICENSE-APACHE", "LICENSE-MIT", "README.md", "package.json",
      "pkg/client.js", "pkg/debug.js", "pkg/index.d.ts", "pkg/index.js", "pkg/sockeye_client.js", "pkg/sockeye_client_bg.wasm",
      "pkg/msgpack/client.js", "pkg/msgpack/index.d.ts", "pkg/msgpack/index.js", "pkg/msgpack/sockeye_msgpack.js",
      "pkg/msgpack/sockeye_msgpack_bg.wasm",
    ];
    const problems = [];
    for (const f of files) if (!allowed.includes(f)) problems.push(`${f} is in the tarball but not in the allow-list`);
    for (const f of allowed) if (!files.includes(f)) problems.push(`${f} is missing from the tarball`);
    // Every file package.json points to (main, types, exports, however nested) is in the tarball.
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const named = [];
    const walk = (v) => typeof v === "string" ? named.push(v) : v && typeof v === "object" && Object.values(v).forEach(walk);
    walk(pkg.main); walk(pkg.types); walk(pkg.exports);
    for (const n of new Set(named)) {
      const f = n.replace(/^\.\//, "");
      if (!files.includes(f)) problems.push(`package.json names ${n}, which the tarball lacks`);
    }
    if (pkg.dependencies && Object.keys(pkg.dependencies).length) problems.push("the package has runtime dependencies");
    console.log(`    ${packed.filename}: ${files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
    console.log(`    package.json names: ${[...new Set(named)].join(", ")}`);
    if (problems.length) { console.error(problems.map((p) => `    ${p}`).join("\n")); process.exit(1); }
  ' "$packed" || fail "the npm tarball (above)"
else
  fail "npm pack --dry-run --json"
fi
done_step

printf '\ncheck-publish: %d s in all\n' "$((SECONDS - start_all))"
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'check-publish: %d check(s) failed:\n' "${#failed[@]}" >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "check-publish: every crate and the npm package are ready to publish"
