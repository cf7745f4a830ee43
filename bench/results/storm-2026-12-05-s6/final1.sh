#!/usr/bin/env bash
# Medians of 3 on branch storm11 (binaries built from aba26c4..e83a8a0's code as /tmp/storm11/v1):
# the configuration (hexwire --shards 1, the simulator waiting for each auth reply) join +
# storm, then the storm with --pipeline-subs.
set -u
root=/work/wt/cases13
out=$root/bench/results/storm-2026-12-05-s6
ENGINE=/tmp/storm11/v1/hexwire SIM=/tmp/storm11/v1/hexwire-sim RUNS=3 PHASES="join storm" \
  "$root/bench/e2e/storm.sh" build/release "$out/branch-issue-config"
ENGINE=/tmp/storm11/v1/hexwire SIM=/tmp/storm11/v1/hexwire-sim RUNS=3 PHASES=storm SIM_ARGS=--pipeline-subs \
  "$root/bench/e2e/storm.sh" build/release "$out/branch-pipeline-subs"
