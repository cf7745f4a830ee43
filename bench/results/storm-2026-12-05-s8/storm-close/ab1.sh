#!/usr/bin/env bash
# Interleaved A/B of the storm phase (issue's configuration): main e0efdb8's engine against this
# branch's, both with main's simulator; PAIRS unpinned pairs then PINNED pinned pairs (engine on
# CPU 0, simulator on CPU 1). Per run: storm.sh's rows + engine CPU-s and TcpOutSegs (engine-wrap.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=${OUT:-$here/ab1}
mkdir -p "$out"
sim=/tmp/sc/main/hexwire-sim
cat >/tmp/sc/sim-pin1 <<S
#!/bin/sh
exec taskset -c 1 $sim "\$@"
S
chmod +x /tmp/sc/sim-pin1
run() {  # name engine-binary pin(0|"") index
  local dir="$out/$1-$4"
  BIN=$2 CPU_LOG="$dir.cpu" PIN_CPU=$3 RUNS=1 PHASES=storm ENGINE="$here/engine-wrap.sh" \
    SIM=$([[ -n "$3" ]] && echo /tmp/sc/sim-pin1 || echo "$sim") \
    bash "$root/bench/e2e/storm.sh" build/release "$dir" >"$dir.log" 2>&1
  sleep 0.5  # the watcher writes the CPU line once the engine is gone
  echo "$1-$4 $(grep -o '"subscribe_p99_ms": [0-9.]*' "$dir/rows.jsonl") $(cat "$dir.cpu")"
}
for i in $(seq "${PAIRS:-4}"); do
  run main /tmp/sc/main/hexwire "" "$i"
  run fin /tmp/sc/hexwire-fin1 "" "$i"
done
for i in $(seq "${PINNED:-2}"); do
  run main-pin /tmp/sc/main/hexwire 0 "$i"
  run fin-pin /tmp/sc/hexwire-fin1 0 "$i"
done
