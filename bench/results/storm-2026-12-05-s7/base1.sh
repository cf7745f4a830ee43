#!/usr/bin/env bash
# Session 7 baseline (main 82a181c binaries copied to /tmp/storm11s7/base): the storm phase in the
# issue's configuration x3, with --pipeline-subs x3, then one storm run recorded with kernel
# call chains (perf -g, both processes) for where the kernel time goes.
set -u
root=/work/wt/cases13
out=$root/bench/results/storm-2026-12-05-s7
b=/tmp/storm11s7/base
ENGINE=$b/hexwire SIM=$b/hexwire-sim RUNS=3 PHASES=storm "$root/bench/e2e/storm.sh" build/release "$out/base-issue-config"
ENGINE=$b/hexwire SIM=$b/hexwire-sim RUNS=3 PHASES=storm SIM_ARGS=--pipeline-subs "$root/bench/e2e/storm.sh" build/release "$out/base-pipeline-subs"
ENGINE=$b/hexwire SIM=$b/hexwire-sim PERF_ARGS="-e cpu-clock -F 1999 -a -g" \
  "$root/bench/results/storm-2026-12-05c/profile-storm.sh" "$out/profile-base-g"
