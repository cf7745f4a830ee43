#!/usr/bin/env bash
# Landed main 436c843 (this worktree's build/release after the rebase; main 723088f differs only
# in bench files): join + storm in the issue's configuration, 3 runs. Run under `quiet`.
set -u
root=/work/wt/cases13
RUNS=3 PHASES="join storm" "$root/bench/e2e/storm.sh" build/release "$root/bench/results/storm-2026-12-05-s7/main-436c843"
# The same storm on two shards (not the configuration: engine and simulator share the 2 cores)
SHARDS=2 RUNS=3 PHASES=storm "$root/bench/e2e/storm.sh" build/release "$root/bench/results/storm-2026-12-05-s7/main-436c843-shards2"
