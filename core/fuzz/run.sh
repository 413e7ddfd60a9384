#!/usr/bin/env bash
# Fuzzes every target (or the ones named) for SECONDS each, default 120:
#   core/fuzz/run.sh [SECONDS] [TARGET...]
# Each target first replays the generated 1 MiB inputs (large-seeds.sh), then fuzzes starting from
# the hand-made seeds; new inputs go to corpus/<target>/ (git-ignored), crashes to artifacts/<target>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

seconds="${1:-120}"
shift || true
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi

./large-seeds.sh
for target in "${targets[@]}"; do
  printf '\n==> %s: %s s\n' "$target" "$seconds"
  mkdir -p "corpus/$target"
  if [ -d "large/$target" ]; then
    cargo +nightly fuzz run "$target" "large/$target" -- -runs=0
  fi
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$seconds"
done
