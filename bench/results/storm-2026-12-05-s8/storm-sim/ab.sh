#!/usr/bin/env bash
# Interleaved A/B: storm phase (issue's configuration), main's engine (e0efdb8), simulators given
# as NAME=BIN; PAIRS rounds. Run as: quiet ab.sh ab1 4 base=BIN v1=BIN
# base = hexwire-sim of main e0efdb8; v1/v2/v3 = branch stormsim-drops 830b204 with
# kStormDropsPerTurn 512 / 2048 / 1048576 (the last: every close in the storm's turn, comeback order).
cd /work/wt/fixub
out=bench/results/storm-2026-12-05-s8/storm-sim/$1; shift
pairs=$1; shift
for r in $(seq $pairs); do
  for spec in "$@"; do
    name=${spec%%=*}; bin=${spec#*=}
    # (PIN was never set in these runs: every row here is unpinned)
    RUNS=1 PHASES=storm ENGINE=/tmp/stormsim/base/hexwire SIM=$bin \
      bash bench/e2e/storm.sh build/release $out/$name-$r 2>&1 | grep -v '^median'
  done
done
