#!/usr/bin/env bash
# Interleaved A/B of the storm phase (issue's configuration): main e0efdb8's engine and simulator
# against this branch's (218e5f5 rebased on da4d61e: the simulator's client shares core's close
# path); PAIRS unpinned pairs. Per run: storm.sh's rows + engine CPU-s and TcpOutSegs (engine-wrap.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=${OUT:-$here/ab2}
mkdir -p "$out"
sim_main=/tmp/sc/main/hexwire-sim
sim_fin=/tmp/sc/fin/hexwire-sim
run() {  # name engine-binary pin(0|"") index simulator
  local dir="$out/$1-$4"
  BIN=$2 CPU_LOG="$dir.cpu" PIN_CPU=$3 RUNS=1 PHASES=storm ENGINE="$here/engine-wrap.sh" \
    SIM=$5 \
    bash "$root/bench/e2e/storm.sh" build/release "$dir" >"$dir.log" 2>&1
  sleep 0.5  # the watcher writes the CPU line once the engine is gone
  echo "$1-$4 $(grep -o '"subscribe_p99_ms": [0-9.]*' "$dir/rows.jsonl") $(cat "$dir.cpu")"
}
for i in $(seq "${PAIRS:-4}"); do
  run main /tmp/sc/main/hexwire "" "$i" "$sim_main"
  run fin /tmp/sc/fin/hexwire "" "$i" "$sim_fin"
done
