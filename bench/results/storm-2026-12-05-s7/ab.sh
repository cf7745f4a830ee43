#!/usr/bin/env bash
# ab.sh NAME A_DIR B_DIR [SIM_ARGS] [C_DIR]: the storm phase (issue's configuration unless SIM_ARGS),
# one run at a time, interleaved A B A B A B (engines from A_DIR / B_DIR, each with its own
# hexwire-sim from the same directory), into ab-NAME-{a,b}-rN/. Run under `quiet`.
set -u
root=/work/wt/cases13
out=$root/bench/results/storm-2026-12-05-s7
name=$1 a=$2 b=$3 c=${5:-}
for r in 1 2 3; do
  for side in a b ${c:+c}; do
    dir=$a; [[ $side == b ]] && dir=$b; [[ $side == c ]] && dir=$c
    ENGINE=$dir/hexwire SIM=$dir/hexwire-sim RUNS=1 PHASES=storm SIM_ARGS="${4:-}" \
      "$root/bench/e2e/storm.sh" build/release "$out/ab-$name-$side-r$r" | grep -v '^median'
  done
done
