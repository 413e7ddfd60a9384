#!/usr/bin/env bash
# Measures the browser client's bundle size as issue 4 defines it and rewrites the
# `## Client bundle size` section of BENCHMARKS.md (the other sections are left as they are):
#
#   esbuild --bundle --minify --format=esm of `import { io } from "<package>"; window.io = io;`,
#   gzip -9 of that, plus gzip -9 of each .wasm file the package ships,
#
# for the `sockeye` package that scripts/build-client.sh makes and, measured the same way, for
# socket.io-client from node_modules. The package's MessagePack build is measured the same way
# (`import { io } from "sockeye/msgpack"`, its msgpack/ module), and so is socket.io-client's way
# of choosing it (`io` from "sockeye" with `parser` from "sockeye/msgpack": both modules). The section also lists the module's 15 largest items
# (twiggy) from the same build with its function names kept, and what each build choice saves:
# the module rebuilt with one choice undone at a time (opt-level "s", no LTO, panic "unwind",
# the `std` feature; each from a target directory of its own) or optimized without wasm-opt, its
# gzip size against the npm build's (about 6 more minutes on 2 cores; SIZE_CHOICES=0 skips it).
#
# Tools: node_modules/.bin/esbuild and node_modules/.bin/wasm-opt (devDependencies; $ESBUILD and
# $WASM_OPT override them), socket.io-client in node_modules ($SOCKEYE_NODE_MODULES may name
# another folder holding node_modules/), wasm-bindgen (installed by build-client.sh) and twiggy
# (installed here with cargo when missing). A total over the cap is reported, not an error.
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

esbuild="${ESBUILD:-node_modules/.bin/esbuild}"
export WASM_OPT="${WASM_OPT:-node_modules/.bin/wasm-opt}"
modules="${SOCKEYE_NODE_MODULES:-$PWD}/node_modules"
for tool in "$esbuild" "$WASM_OPT"; do
  if [ ! -x "$tool" ]; then
    echo "bench-size: $tool not found (npm install, or set ESBUILD / WASM_OPT)" >&2
    exit 1
  fi
done
if [ ! -f "$modules/socket.io-client/package.json" ]; then
  echo "bench-size: no socket.io-client in $modules (npm install, or set SOCKEYE_NODE_MODULES)" >&2
  exit 1
fi
ensure_cargo_tool twiggy twiggy

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The package, exactly as the npm build makes it.
bash scripts/build-client.sh "$work/pkg"

# `import { io } from "sockeye"` resolves to the package's wrapper.
mkdir -p "$work/sockeye/node_modules/sockeye"
cp -R "$work/pkg/." "$work/sockeye/node_modules/sockeye/"
# The classic-script build (pkg/classic/) is not part of the npm package: measured on its own.
mv "$work/sockeye/node_modules/sockeye/classic" "$work/classic"
printf '{ "name": "sockeye", "type": "module", "exports": { ".": "./index.js", "./msgpack": "./msgpack/index.js" } }\n' \
  >"$work/sockeye/node_modules/sockeye/package.json"
printf 'import { io } from "sockeye";\nwindow.io = io;\n' >"$work/sockeye/entry.js"
# The MessagePack build, alone and as socket.io-client's `parser` (both modules), from the same
# node_modules.
mkdir -p "$work/msgpack" "$work/msgpack-parser"
ln -s "$work/sockeye/node_modules" "$work/msgpack/node_modules"
ln -s "$work/sockeye/node_modules" "$work/msgpack-parser/node_modules"
printf 'import { io } from "sockeye/msgpack";\nwindow.io = io;\n' >"$work/msgpack/entry.js"
printf 'import { io } from "sockeye";\nimport * as parser from "sockeye/msgpack";\nwindow.io = (url) => io(url, { parser });\n' \
  >"$work/msgpack-parser/entry.js"
# socket.io-client from node_modules, as an application would import it.
mkdir -p "$work/reference"
ln -s "$modules" "$work/reference/node_modules"
printf 'import { io } from "socket.io-client";\nwindow.io = io;\n' >"$work/reference/entry.js"
for name in sockeye msgpack msgpack-parser reference; do
  "$esbuild" --bundle --minify --format=esm --log-level=warning \
    "$work/$name/entry.js" --outfile="$work/$name/bundle.js"
done

# The largest items, from the build above with the function names kept: the same wasm-bindgen
# and wasm-opt steps, `--debuginfo` instead of stripping.
# The npm build's wasm-opt flags, from build-client.sh.
wasm_opt_flags="$(sed -n 's/^WASM_OPT_FLAGS="\(.*\)"$/\1/p' scripts/build-client.sh)"
if [ -z "$wasm_opt_flags" ]; then
  echo "bench-size: no WASM_OPT_FLAGS=\"...\" line in scripts/build-client.sh" >&2
  exit 1
fi
wasm-bindgen --target web --no-typescript --omit-default-module-path --encode-into always \
  --keep-debug --out-dir "$work/named" \
  "$target_dir/wasm32-unknown-unknown/wasm-release/sockeye_client.wasm"
# shellcheck disable=SC2086 # the flags are words
"$WASM_OPT" $wasm_opt_flags --debuginfo --strip-producers --strip-target-features \
  "$work/named/sockeye_client_bg.wasm" -o "$work/named/named.wasm"
node scripts/lib/shorten-names.mjs "$work/named/named.wasm" "$work/named/sockeye_client.js" >/dev/null
twiggy top -n 25 --format csv "$work/named/named.wasm" >"$work/twiggy.csv"

# What each build choice saves: `choice NAME WASM_OPT_FLAGS FEATURES [VAR=value...]` builds the
# module with the crate features FEATURES and the profile settings given (Cargo's CARGO_PROFILE_*
# variables) in a target directory of its own, or takes the npm build's module when FEATURES is
# "-", then runs the npm build's wasm-bindgen, wasm-opt (with the flags given) and name shortening.
choice() {
  local name="$1" opt="$2" features="$3"
  shift 3
  local dir="$work/choice-$name" build="$target_dir"
  if [ "$features" != - ]; then
    build="$target_dir/size-choices/$name"
    # shellcheck disable=SC2086 # the features are words
    env "$@" cargo build -q -p sockeye-client --target wasm32-unknown-unknown --profile wasm-release \
      --target-dir "$build" $features
  fi
  wasm-bindgen --target web --no-typescript --omit-default-module-path --encode-into always \
    --out-dir "$dir" "$build/wasm32-unknown-unknown/wasm-release/sockeye_client.wasm"
  # shellcheck disable=SC2086 # the flags are words
  "$WASM_OPT" $opt --strip-debug --strip-producers --strip-target-features \
    "$dir/sockeye_client_bg.wasm" -o "$dir/module.wasm"
  node scripts/lib/shorten-names.mjs "$dir/module.wasm" "$dir/sockeye_client.js" >/dev/null
  printf '%s\t%s\n' "$name" "$(gzip -9 -c "$dir/module.wasm" | wc -c)" >>"$work/choices.tsv"
}
: >"$work/choices.tsv"
if [ "${SIZE_CHOICES:-1}" != 0 ]; then
  echo "bench-size: rebuilding the module with one build choice undone at a time" >&2
  npm_build=--no-default-features
  # The choices below are rebuilt with stable Rust and weighed against this stable build of the
  # npm module; the pinned nightly's own saving is its row.
  choice stable "$wasm_opt_flags" "$npm_build"
  choice opt-s "$wasm_opt_flags" "$npm_build" CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=s
  choice no-lto "$wasm_opt_flags" "$npm_build" CARGO_PROFILE_WASM_RELEASE_LTO=false \
    CARGO_PROFILE_WASM_RELEASE_CODEGEN_UNITS=16
  choice unwind "$wasm_opt_flags" "$npm_build" CARGO_PROFILE_WASM_RELEASE_PANIC=unwind
  # No optimizing passes: only the stripping the npm build does too.
  choice no-wasm-opt "" -
  choice std "$wasm_opt_flags" "$npm_build --features std"
fi

WORK="$work" \
MODULES="$modules" \
ESBUILD_VERSION="$("$esbuild" --version)" \
WASM_OPT_VERSION="$("$WASM_OPT" --version)" \
WASM_BINDGEN_VERSION="$(wasm-bindgen --version)" \
node - <<'EOF_NODE'
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const { writeSection, machineLine, fmt } = require(path.resolve("scripts/lib/benchmarks.cjs"));
const env = process.env;

// Issue 15's budget for the sockeye total: the cap (half of what it was then), and what to aim for
// (socket.io-client's own ESM build, socket.io.esm.min.js, gzip -9).
const CAP = 27000;
const AIM = 12945;

// The gzip command itself, as the issue measures (zlib's deflate differs by a few hundred bytes).
const gzip = (file) => execFileSync("gzip", ["-9", "-c", file], { maxBuffer: 1 << 28 }).length;
// The .wasm files directly in `dir` (the JSON build's; the MessagePack build's are in msgpack/).
function wasmFiles(dir) {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith(".wasm"))
    .map((f) => path.join(dir, f))
    .sort();
}
function measure(name, bundle, ...wasmDirs) {
  const wasm = wasmDirs.flatMap(wasmFiles);
  const row = {
    name,
    jsRaw: fs.statSync(bundle).size,
    js: gzip(bundle),
    wasmRaw: wasm.reduce((n, f) => n + fs.statSync(f).size, 0),
    wasm: wasm.reduce((n, f) => n + gzip(f), 0),
  };
  row.total = row.js + row.wasm;
  return row;
}
const reference = JSON.parse(fs.readFileSync(path.join(env.MODULES, "socket.io-client/package.json"), "utf8"));
const pkg = path.join(env.WORK, "sockeye/node_modules/sockeye");
const rows = [
  measure("sockeye (this build)", path.join(env.WORK, "sockeye/bundle.js"), pkg),
  measure("sockeye/msgpack (the MessagePack build)", path.join(env.WORK, "msgpack/bundle.js"), path.join(pkg, "msgpack")),
  measure("sockeye with `parser` from sockeye/msgpack (both modules)", path.join(env.WORK, "msgpack-parser/bundle.js"),
    pkg, path.join(pkg, "msgpack")),
  measure(`socket.io-client ${reference.version}`, path.join(env.WORK, "reference/bundle.js")),
];
// The classic-script build the server serves at /socket.io/socket.io.js, as it ships (already
// minified; no bundler), beside the reference's own classic build.
const classic = measure("sockeye classic script (`socket.io.js` + `socket.io.wasm`)",
  path.join(env.WORK, "classic/socket.io.js"), path.join(env.WORK, "classic"));
const referenceClassic = measure(`socket.io-client ${reference.version} \`dist/socket.io.min.js\``,
  path.join(env.MODULES, "socket.io-client/dist/socket.io.min.js"));

// The levers tried to shrink the module (issue 15), each measured once as an A/B of two builds
// (gzip -9 of the module, or of the bundle where the lever is in JS): scripts/lib/size-levers.tsv.
const levers = fs.readFileSync(path.resolve("scripts/lib/size-levers.tsv"), "utf8").split("\n")
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => line.split("\t"))
  .map(([lever, saved, kept]) => `| ${lever} | ${saved} | ${kept} |`);

const signed = (n) => (n > 0 ? "+" : n < 0 ? "−" : "±") + fmt(Math.abs(n));
const versus = (total, budget) => `${signed(total - budget)} (${(total / budget).toFixed(2)}×)`;

// twiggy's CSV: Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent.
function csvRow(line) {
  const cells = [];
  const re = /"((?:[^"]|"")*)"|([^,]*)/g;
  let m;
  while ((m = re.exec(line)) !== null) {
    cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
    if (re.lastIndex >= line.length) break;
    re.lastIndex++;
  }
  return cells;
}
const [sockeye] = rows;
// The names and other custom sections are not in the shipped module: left out, and the shares are
// of the shipped module's size.
const twiggy = fs.readFileSync(path.join(env.WORK, "twiggy.csv"), "utf8").trim().split("\n").slice(1)
  .map(csvRow)
  .filter(([name]) => !/^Σ|more\.$|subsection"?$|^custom section/.test(name))
  .slice(0, 15)
  .map(([name, bytes]) =>
    `| ${name.replace(/::h[0-9a-f]{16}$/, "").replace(/\|/g, "\\|")} | ${fmt(Number(bytes))} | ${((100 * Number(bytes)) / sockeye.wasmRaw).toFixed(1)} |`);

// What each build choice saves: the module's gzip size with that choice undone, less the npm
// build's (a negative saving: the choice costs bytes).
const CHOICES = {
  stable: [
    "the pinned nightly: `-Zbuild-std=core,alloc`, `-Cpanic=immediate-abort`, `-Zlocation-detail=none`, `-Zfmt-debug=none`",
    "stable Rust",
  ],
  "opt-s": ['`opt-level = "z"`', '`"s"`'],
  "no-lto": ["fat LTO, one codegen unit", "no LTO, 16 units"],
  unwind: ['`panic = "abort"`', '`"unwind"`'],
  "no-wasm-opt": ["`wasm-opt` with build-client.sh's flags", "stripping only"],
  std: ["`no_std`: trap panic handler, rlsf allocator", "std (its panic machinery and dlmalloc)"],
};
const built = fs.readFileSync(path.join(env.WORK, "choices.tsv"), "utf8").trim().split("\n").filter(Boolean)
  .map((line) => line.split("\t"));
// Rebuilt choices are stable builds, weighed against the stable build of the npm module; the
// nightly's row weighs that build against the npm build; "no-wasm-opt" reuses the npm build.
const stable = Number((built.find(([name]) => name === "stable") ?? [])[1]);
const choices = built.map(([name, bytes]) => {
  const [choice, instead] = CHOICES[name];
  const base = name === "stable" || name === "no-wasm-opt" ? sockeye.wasm : stable;
  return `| ${choice} | ${instead} | ${fmt(Number(bytes))} | ${signed(Number(bytes) - base)} |`;
});

const section = [
  "## Client bundle size",
  "",
  "Generated by `scripts/bench-size.sh`. Issue 4's measure: `esbuild --bundle --minify --format=esm` of",
  "`import { io } from \"<package>\"; window.io = io;`, gzip -9 of the bundle, plus gzip -9 of each `.wasm`",
  "file the package ships. The sockeye package is what `scripts/build-client.sh` makes (no_std module,",
  "`wasm-opt -Oz`, shortened glue names); socket.io-client is measured the same way from node_modules. All",
  "sizes in bytes; the budget is issue 15's, for the sockeye total: cap " + fmt(CAP) + ", aim " + fmt(AIM),
  "(socket.io-client's `socket.io.esm.min.js`).",
  "",
  "| package | JS minified | JS gzip | wasm | wasm gzip | total gzip | vs cap | vs aim |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...[...rows, classic, referenceClassic].map((r) =>
    `| ${r.name} | ${fmt(r.jsRaw)} | ${fmt(r.js)} | ${r.wasmRaw ? fmt(r.wasmRaw) : "–"} | ${r.wasmRaw ? fmt(r.wasm) : "–"} | ${fmt(r.total)} | ${versus(r.total, CAP)} | ${versus(r.total, AIM)} |`),
  "",
  "The MessagePack build (`import { io } from \"sockeye/msgpack\"`) is a second module, built with the",
  "crate's `msgpack` feature; the default module leaves its bytes out. socket.io-client's way of choosing it",
  "(`io` from `sockeye`, `parser` from `sockeye/msgpack`) loads both modules. The budget is the JSON build's.",
  "",
  "The classic script is the build `sockeye-server` serves at `/socket.io/socket.io.js` (a global `io`),",
  "as it ships: already minified, not bundled again.",
  "",
  "Every lever tried to shrink the package in issue 15, each measured once as an A/B of two builds (the",
  "module's gzip -9, or the bundle's where the lever is in JS; a negative saving is a cost), whether it",
  "was kept, and why not (from `scripts/lib/size-levers.tsv`):",
  "",
  "| lever | saved (bytes gzip) | kept |",
  "|---|---:|---|",
  ...levers,
  "",
  "The wasm module's 15 largest items (twiggy, on the same build with its function names kept; the shipped",
  "module is stripped of them). A function's size includes what the optimizers inlined into it.",
  "",
  "| item | bytes | % of the shipped module |",
  "|---|---:|---:|",
  ...twiggy,
  "",
  ...(choices.length ? [
    "What each build choice saves: the module rebuilt with that one choice undone (same wasm-bindgen, name",
    "shortening and, unless that is the choice, wasm-opt), its gzip -9 size and how much the choice saves.",
    "The rebuilt ones are built with stable Rust and weighed against the npm module built with stable",
    "(the first row: what the pinned nightly saves).",
    "",
    "| choice | instead of | wasm gzip without it | saved |",
    "|---|---|---:|---:|",
    ...choices,
    "",
    "`panic = \"abort\"` changes nothing measurable: wasm32-unknown-unknown aborts on panic anyway (stable Rust",
    "does not unwind there). Within `no_std`, one-off measurements (2026-11-24, with the crate's allocator swapped",
    "by hand): no_std alone saves 1,481 bytes and rlsf rather than dlmalloc (the `dlmalloc` crate) 1,562; the",
    "`lol_alloc` free-list allocator is no smaller than rlsf in this module (+23).",
    "",
  ] : []),
  machineLine({ node: true }),
  `Tools: esbuild ${env.ESBUILD_VERSION.trim()}; ${env.WASM_OPT_VERSION.trim()}; ${env.WASM_BINDGEN_VERSION.trim()}.`,
  "",
  "```",
  "bash scripts/bench-size.sh",
  "```",
  "",
].join("\n");
// Byte counts: the machine's load does not change them (no load check, see benchmarks.cjs).
writeSection(section, { timed: false });
console.log(`BENCHMARKS.md: ## Client bundle size rewritten (sockeye ${fmt(sockeye.total)} bytes, cap ${fmt(CAP)})`);
for (const r of rows) console.log(`  ${r.name}: JS ${r.js} + wasm ${r.wasm} = ${r.total} bytes gzip -9`);
if (sockeye.total > CAP) {
  console.log(`bench-size: sockeye's ${fmt(sockeye.total)} bytes are OVER the cap of ${fmt(CAP)}`);
}
EOF_NODE
