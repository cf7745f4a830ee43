#!/usr/bin/env bash
# One quiet call: the two micro-benchmarks (new vs old in the same program), then the interleaved
# storm A/B (ab.sh). Run from the worktree root: quiet bash bench/results/storm-2026-12-05-s8/storm-engine/quiet-run.sh
set -euo pipefail
dir=bench/results/storm-2026-12-05-s8/storm-engine
opts=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.3)
build/release/bench/pubsub/pubsub_fanout_bench --benchmark_filter='StormChurn|OneInOneOut' "${opts[@]}" \
  --benchmark_out="$dir/membership_bench.json" --benchmark_out_format=json >"$dir/membership_bench.txt" 2>&1
build/release/bench/app/app_protocol_bench --benchmark_filter='LookupChannelMembers|CloseReopen' "${opts[@]}" \
  --benchmark_out="$dir/connection_table_bench.json" --benchmark_out_format=json >"$dir/connection_table_bench.txt" 2>&1
bash "$dir/ab.sh" "$dir/ab" /tmp/se-main-hexwire /tmp/se-new-hexwire /tmp/se-sim "${PAIRS:-4}" | tee "$dir/ab-rows.txt"
