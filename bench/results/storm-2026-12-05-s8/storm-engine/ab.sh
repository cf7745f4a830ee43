#!/usr/bin/env bash
# Interleaved storm A/B (issue's configuration: hexwire --shards 1, one simulator thread, unpinned):
# main's engine vs branch stormeng's engine, the same simulator binary, RUNS pairs.
# Usage (under quiet): ab.sh OUT_DIR MAIN_ENGINE NEW_ENGINE SIM [PAIRS=4]
set -euo pipefail
out=$1 main=$2 new=$3 sim=$4 pairs=${5:-4}
root=$(cd "$(dirname "$0")/../../../.." && pwd)
for r in $(seq "$pairs"); do
  for side in main new; do
    engine=$main; [[ $side == new ]] && engine=$new
    RUNS=1 PHASES=storm ENGINE=$engine SIM=$sim bash "$root/bench/e2e/storm.sh" build/release "$out/$side-$r" | grep -v '^median'
  done
done
