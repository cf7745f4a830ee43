#!/usr/bin/env bash
# Adaptive write batching against fixed holds, end to end (#16): for each load group it runs
# fanout_bench.sh over the same publish rates with --write-delay-us 0, 2 ms and 20 ms and with the
# default adaptive batching, each level on a fresh engine (1 shard) with hexwire-sim (1 thread)
# on the other core. Rows go to OUT_JSONL (one per level, tagged with the group and the
# repetition); bench/e2e/batching_summary.py turns one or more such files into medians per level
# and the ratios adaptive / best fixed.
# Usage: bench/e2e/batching_bench.sh [BUILD_DIR=build/release] OUT_JSONL [REPEAT=1]
# Groups (BENCH_GROUPS="c1k c1k1 c10k" to pick):
#   c1k  : 1,000 connections in 10 channels of 100; 100 / 3,000 / 10,000 publishes/s
#          (10k / 300k / 1M deliveries/s)
#   c1k1 : 1,000 connections in one channel; 2,400 publishes/s (2.4M deliveries/s)
#   c10k : 10,000 connections in 10 channels of 1,000; 10 / 300 / 1,000 publishes/s
#          (10k / 300k / 1M deliveries/s)
# One repetition of all groups takes about 5 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
out=${2:?usage: batching_bench.sh BUILD_DIR OUT_JSONL [REPEAT]}
repeat=${3:-1}
groups=${BENCH_GROUPS:-"c1k c1k1 c10k"}

levels_for() {  # MODES RATES -> "mode:rate ..." with the modes interleaved per rate
  local modes=$1 rates=$2 level=""
  for rate in $rates; do
    for mode in $modes; do level="$level $mode:$rate"; done
  done
  echo "$level"
}

for rep in $(seq "$repeat"); do
  for group in $groups; do
    case "$group" in
      c1k) conns=1000 channels=10 levels=$(levels_for "0 2000 20000 a" "100 3000 10000") ;;
      c1k1) conns=1000 channels=1 levels=$(levels_for "0 2000 20000 a" "2400") ;;
      c10k) conns=10000 channels=10 levels=$(levels_for "0 20000 a" "10 300 1000") ;;
      *) echo "batching_bench.sh: unknown group $group" >&2; exit 2 ;;
    esac
    echo "== $group, repetition $rep: $conns connections, $channels channels"
    CONNS=$conns CHANNELS=$channels LEVELS="$levels" CEILING=0 TAG="$group/$rep" \
      "$root/bench/e2e/fanout_bench.sh" "$build" "$out"
  done
done
