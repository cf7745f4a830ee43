#!/usr/bin/env bash
# Engine CPU per storm run (whole run: join ramp, storm, steady load), main vs new, interleaved.
# Usage (under quiet, from the worktree root): cpu-ab.sh OUT_DIR MAIN_ENGINE NEW_ENGINE SIM [PAIRS=3]
set -euo pipefail
out=$1 main=$2 new=$3 sim=$4 pairs=${5:-3}
dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$dir/../../../.." && pwd)
mkdir -p "$out"
for r in $(seq "$pairs"); do
  for side in main new; do
    bin=$main; [[ $side == new ]] && bin=$new
    ENGINE_BIN=$bin CPU_OUT="$out/cpu.txt" CPU_TAG="$side-$r" RUNS=1 PHASES=storm ENGINE="$dir/cpu-wrapper.py" SIM=$sim \
      bash "$root/bench/e2e/storm.sh" build/release "$out/$side-$r" | grep -v '^median'
  done
done
cat "$out/cpu.txt"
