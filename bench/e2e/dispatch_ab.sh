#!/usr/bin/env bash
# A/B of the location-update path: runs `RUN=loc dispatch_bench.sh` alternately on two builds
# (A first, then B, RUNS times, so that drift of the machine hits both alike), appends every run's
# output to OUT, and prints per build the median, lowest and highest of the engine's fixes/s,
# mailbox tasks per fix and engine CPU per fix. Run it under `quiet` (docs: bench/e2e/DISPATCH.md).
# Usage: bench/e2e/dispatch_ab.sh BUILD_A BUILD_B [RUNS=5] [SECONDS=5] [OUT=/dev/null]
# ENGINE_ARGS and LOC_* knobs pass through to dispatch_bench.sh (the same for both builds).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '2,7p' "$0"; exit 2; }
a=$1 b=$2 runs=${3:-5} seconds=${4:-5} out=${5:-/dev/null}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

one_run() {  # one_run LABEL BUILD: appends "LABEL fixes/s tasks/fix cpu_us/fix" to $results
  local text
  text=$(RUN=loc "$root/bench/e2e/dispatch_bench.sh" "$2" "$seconds")
  printf '### %s %s (%s)\n%s\n' "$1" "$2" "$(date -u +%H:%M:%S)" "$text" >>"$out"
  echo "$text" | awk -v label="$1" '
    /^loc: engine processed/ {rate = $(NF-1)}
    /^loc: .* mailbox tasks per fix/ {tasks = $2; cpu = $(NF-3)}
    END {if (rate == "") exit 1; print label, rate, tasks, cpu}' >>"$results"
}

echo "A = $a, B = $b, $runs runs each, ${seconds} s, ENGINE_ARGS='${ENGINE_ARGS:-}'" | tee -a "$out"
for ((i = 1; i <= runs; ++i)); do
  one_run A "$a"
  one_run B "$b"
done
summary() {  # summary LABEL COLUMN NAME
  grep "^$1 " "$results" | awk -v c="$2" '{print $c}' | sort -g |
    awk -v name="$3" -v label="$1" '{v[NR] = $1}
      END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
           printf "%s %-22s median %-12.4g (lowest %.4g, highest %.4g, %d runs)\n", label, name, m, v[1], v[NR], NR}'
}
for label in A B; do
  summary "$label" 2 "fixes/s" | tee -a "$out"
  summary "$label" 3 "mailbox tasks per fix" | tee -a "$out"
  summary "$label" 4 "engine CPU us per fix" | tee -a "$out"
done
