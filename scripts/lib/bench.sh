# What every benchmark script (scripts/bench-*.sh) shares, sourced as its first line:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"
#
# Strict mode, the repository root as the working directory, the one set-up (scripts/lib/setup.sh:
# each benchmark calls the ensure_* steps it needs), `-h` / `--help` (prints the script's own
# header comment and the paragraph below, then exits), $target_dir (cargo's target directory) and
# the helpers below.
#
# A quiet machine. Timings measure the machine as much as the code when other work runs, so every
# benchmark whose figures are timings waits, after its builds and right before it measures, for the
# 1-minute load average to fall to BENCH_MAX_LOAD (default 1.5), for up to BENCH_WAIT_SECONDS
# (default 600). A measurement that started over it leaves BENCHMARKS.md alone: the section goes to
# benchmarks-refused/ in the cargo target directory and the exit code is 3. BENCH_ALLOW_BUSY=1
# measures at once and writes the section whatever the load (it states the load either way). The
# check itself is quietStart() and writeSection() in scripts/lib/benchmarks.cjs (the Node.js half of
# each benchmark calls them; a shell-measured one calls bench_quiet_start). Byte and instruction
# counts (bench-size.sh, bench-callgrind.sh) do not depend on the load and do not wait.
set -euo pipefail

# The benchmark script that sourced this file, before the working directory changes.
bench_script="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)/$(basename "${BASH_SOURCE[1]}")"
bench_name="$(basename "$bench_script" .sh)"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/lib/setup.sh

# bench_help FILE: FILE's header comment (after the #! line, up to the first line of code), then
# the quiet-machine paragraph above.
bench_help() {
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$1"
  echo
  sed -n '/^# A quiet machine\./,/^# counts/{s/^# \{0,1\}//p}' scripts/lib/bench.sh
}
case "${1:-}" in
  -h | --help)
    bench_help "$bench_script"
    exit 0
    ;;
esac

# bench_release CARGO_BUILD_ARGS...: a release build (the benchmarks measure release binaries).
bench_release() { cargo build --release "$@"; }

# For a benchmark measured from the shell (not from its Node.js half): waits for a quiet machine
# and exports BENCH_LOAD_START for the writeSection() that writes its section.
bench_quiet_start() {
  BENCH_LOAD_START="$(node scripts/lib/benchmarks.cjs --quiet-start "$bench_name")"
  export BENCH_LOAD_START
}

# What most benchmarks need before they build: a C linker and node_modules as the lock says.
ensure_linker
ensure_node_modules
target_dir="$(cargo_target_dir)"
