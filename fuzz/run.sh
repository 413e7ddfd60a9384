#!/usr/bin/env bash
# Fuzzes every target (or the ones named) for RUNS executions each (default 10,000,000), one target
# after another, then rewrites the `## Fuzzing` section of BENCHMARKS.md from the logs it wrote:
#
#   fuzz/run.sh [RUNS] [TARGET...]   fuzz, minimize the corpora, write the section
#   fuzz/run.sh --report             only write the section, from logs/ of earlier runs
#
# Installs the nightly toolchain and cargo-fuzz when missing. Per target: replays the generated 1 MiB
# known-bad inputs (large-seeds.sh, git-ignored), fuzzes from the committed corpus corpus/<target>/
# plus the hand-made seeds seeds/<target>/ (new inputs go to corpus/<target>/, crashes, hangs and
# OOMs to artifacts/<target>/), then minimizes corpus/<target>/ with `cargo fuzz cmin` and caps it at
# CORPUS_CAP bytes (the largest files go first). Logs: logs/<target>.log (libFuzzer's
# output) and logs/<target>.json (the figures the section is made of). Settings:
#   FUZZ_TIMEOUT      libFuzzer's per-input hang limit, seconds (default 10)
#   FUZZ_SANITIZER    cargo-fuzz's --sanitizer (default address, as cargo-fuzz's; `none` runs faster)
#   FUZZ_TARGET_DIR   where the targets are built (default target/)
#   FUZZ_MAX_SECONDS  also stops each target after that many seconds, short of RUNS (default unset)
#   CORPUS_CAP        bytes kept per corpus after cmin (default 262144)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

report_only=0
if [ "${1:-}" = "--report" ]; then
  report_only=1
  shift
fi

if [ "$report_only" = 0 ]; then
  runs="${1:-10000000}"
  shift || true
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  cargo +nightly fuzz --version >/dev/null 2>&1 || cargo +nightly install cargo-fuzz --locked
  if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
  cap="${CORPUS_CAP:-262144}"
  fuzz=(-O --sanitizer "${FUZZ_SANITIZER:-address}" --target-dir "${FUZZ_TARGET_DIR:-target}")
  mkdir -p logs
  ./large-seeds.sh
  for target in "${targets[@]}"; do cargo +nightly fuzz build "${fuzz[@]}" "$target"; done

  for target in "${targets[@]}"; do
    printf '\n==> %s: %s runs\n' "$target" "$runs"
    mkdir -p "corpus/$target" "artifacts/$target" "seeds/$target"
    before=$(find "artifacts/$target" -type f | wc -l)
    if [ -d "large/$target" ]; then
      cargo +nightly fuzz run "${fuzz[@]}" "$target" "large/$target" -- -runs=0 -rss_limit_mb=2048 \
        2>&1 | tail -n 3
    fi
    command=(cargo +nightly fuzz run "${fuzz[@]}" "$target" "corpus/$target" "seeds/$target" --
      -runs="$runs" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1
      ${FUZZ_MAX_SECONDS:+-max_total_time="$FUZZ_MAX_SECONDS"})
    start=$(date +%s.%N)
    status=0
    "${command[@]}" >"logs/$target.log" 2>&1 || status=$?
    end=$(date +%s.%N)
    tail -n 12 "logs/$target.log"
    after=$(find "artifacts/$target" -type f | wc -l)
    done_runs=$(grep -oE '^Done [0-9]+ runs' "logs/$target.log" | tail -n 1 | grep -oE '[0-9]+' || true)
    if [ -z "$done_runs" ]; then
      # A crash stops libFuzzer before "Done": its last status line has the count so far.
      done_runs=$(grep -oE '^#[0-9]+' "logs/$target.log" | tail -n 1 | tr -d '#' || echo 0)
    fi

    # Minimize, then cap: the committed corpus stays small.
    cargo +nightly fuzz cmin "${fuzz[@]}" "$target" "corpus/$target" -- -rss_limit_mb=2048 \
      >"logs/$target.cmin.log" 2>&1 || echo "cmin $target failed: see logs/$target.cmin.log" >&2
    # The files' own sizes (a directory's size stays as large as it ever grew): the largest go
    # first until the rest fit.
    find "corpus/$target" -type f -printf '%s %p\n' | sort -n |
      awk -v cap="$cap" '{ total += $1; if (total > cap) { sub(/^[0-9]+ /, ""); print } }' |
      while IFS= read -r file; do rm -f -- "$file"; done
    files=$(find "corpus/$target" -type f | wc -l)
    bytes=$(find "corpus/$target" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    printf '{"target":"%s","runs":%s,"requested":%s,"seconds":%s,"status":%s,"findings":%s,"files":%s,"bytes":%s,"command":"%s","date":"%s","load":"%s"}\n' \
      "$target" "${done_runs:-0}" "$runs" "$(echo "$end - $start" | bc)" "$status" \
      "$((after - before))" "$files" "$bytes" "${command[*]}" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
      >"logs/$target.json"
    cat "logs/$target.json"
  done
fi

node - <<'EOF_NODE'
const fs = require("fs");
const path = require("path");
const { writeSection, machineLine, fmt } = require(path.resolve("../scripts/lib/benchmarks.cjs"));

// What each target feeds, and the findings fixed since (regression tests in redis-adapter/tests/
// fuzz_corpus.rs and websocket/tests/fuzz_corpus.rs): documentation the run cannot know.
const about = JSON.parse(fs.readFileSync("targets.json", "utf8"));
const rows = [];
for (const target of Object.keys(about)) {
  const file = path.join("logs", `${target}.json`);
  if (!fs.existsSync(file)) {
    rows.push(`| \`${target}\` | ${about[target].feeds} | not run | | | | | |`);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  const found = r.status === 0 && r.findings === 0 ? "0" : `**${r.findings} (exit ${r.status})**`;
  const fixed = about[target].fixed?.length ? `; fixed before: ${about[target].fixed.join("; ")}` : "";
  rows.push(
    `| \`${target}\` | ${about[target].feeds} | ${fmt(r.runs)} | ${fmt(r.seconds, 0)} s | ` +
      `${fmt(r.runs / r.seconds, 0)} | ${fmt(r.files)} | ${fmt(r.bytes)} | ${found}${fixed} |`,
  );
}
const runs = Object.keys(about)
  .map((t) => path.join("logs", `${t}.json`))
  .filter((f) => fs.existsSync(f))
  .map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const requested = [...new Set(runs.map((r) => r.requested))].map((n) => fmt(n)).join(", ");
const dates = runs.map((r) => r.date).sort();
const section = [
  "## Fuzzing",
  "",
  "Generated by `fuzz/run.sh` (installs nightly and cargo-fuzz when missing, fuzzes each target",
  `for ${requested || "N"} executions one after another, minimizes each corpus with \`cargo fuzz cmin\`;`,
  "`fuzz/run.sh --report` rewrites this section from the logs of the last runs). Each target first",
  "replays the 1 MiB known-bad inputs of `fuzz/large-seeds.sh`, then fuzzes from the committed",
  "corpus `fuzz/corpus/<target>/` and the hand-made seeds `fuzz/seeds/<target>/`. Findings: the",
  "crash, hang (10 s) and OOM (2 GB) inputs this run wrote to `artifacts/`; the fixed ones have regression",
  "tests that run on stable (`redis-adapter/tests/fuzz_corpus.rs`, `websocket/tests/fuzz_corpus.rs`);",
  "`core/tests/fuzz_corpus.rs`, `redis-adapter/tests/fuzz_corpus.rs`, `native-server/tests/fuzz_http.rs`",
  "and `websocket/tests/fuzz_corpus.rs` replay every committed corpus and seed file through the",
  "targets' own checks. A run cut short by `-max_total_time`",
  "(FUZZ_MAX_SECONDS) shows fewer executions than asked: see the commands below.",
  "",
  "| Target | Feeds | Executions | Wall time | exec/s | Corpus files | Corpus bytes | Findings |",
  "|---|---|---:|---:|---:|---:|---:|---|",
  ...rows,
  "",
  "Commands (from `fuzz/`; `<target>` as in the table):",
  "",
  ...[...new Set(runs.map((r) => r.command.replace(/ [a-z_]+ corpus\/\S+ seeds\/\S+/, " <target> corpus/<target> seeds/<target>")))]
    .map((c) => `- \`${c}\` (${runs.filter((r) => r.command.replace(/ [a-z_]+ corpus\/\S+ seeds\/\S+/, " <target> corpus/<target> seeds/<target>") === c).map((r) => r.target).join(", ")})`),
  "",
  `Run ${dates[0]?.slice(0, 16) ?? "?"} to ${dates.at(-1)?.slice(0, 16) ?? "?"} UTC on a machine shared with other builds: the load average ` +
    `(1, 5, 15 min) as each target ended was ${runs.map((r) => `${r.target} ${r.load ?? "?"}`).join("; ")}.`,
  "",
  machineLine(),
];
// Execution counts (exec/s only informs): written whatever the load, which the text states.
writeSection(section.join("\n"), { timed: false });
console.log("BENCHMARKS.md: ## Fuzzing rewritten");
EOF_NODE
