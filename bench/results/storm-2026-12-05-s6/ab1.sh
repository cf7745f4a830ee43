#!/usr/bin/env bash
# A/B: main 4c0cdce (A) vs branch storm11 v1 (B: mailbox drain all queued + close-deadline skip),
# and B with the simulator's --pipeline-subs; storm phase only, one run each, interleaved.
set -u
root=/work/wt/cases13
out=$root/bench/results/storm-2026-12-05-s6
for round in 1 2; do
  ENGINE=/tmp/storm11/main-4c0cdce/hexwire SIM=/tmp/storm11/main-4c0cdce/hexwire-sim RUNS=1 PHASES=storm \
    "$root/bench/e2e/storm.sh" build/release "$out/ab1-main-r$round"
  ENGINE=/tmp/storm11/v1/hexwire SIM=/tmp/storm11/v1/hexwire-sim RUNS=1 PHASES=storm \
    "$root/bench/e2e/storm.sh" build/release "$out/ab1-v1-r$round"
  ENGINE=/tmp/storm11/v1/hexwire SIM=/tmp/storm11/v1/hexwire-sim RUNS=1 PHASES=storm SIM_ARGS=--pipeline-subs \
    "$root/bench/e2e/storm.sh" build/release "$out/ab1-v1pipe-r$round"
done
