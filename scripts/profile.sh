#!/usr/bin/env bash
# Profiles the engine under a simulated load: starts `hexwire` (one shard by default) and
# `hexwire-sim SCENARIO [sim flags]` against it, lets the load settle, records the engine with
# `perf record -e cpu-clock` (a software event: this VM has no hardware counters) and DWARF call
# stacks, and writes an offline flame graph (SVG, opens in any browser), the folded stacks, a text
# summary (kernel vs user space, hottest functions) and /metrics snapshots taken around the
# recording window with their difference (metrics-window.txt: rates, per-stage means), so the
# per-stage histograms can be read next to the profile. See
# docs/profiling.md for a walk through one profile.
#
# Usage: scripts/profile.sh SCENARIO [hexwire-sim flags...]
#   SCENARIO: echo, chat, rides or mixed (as hexwire-sim)
#   e.g. scripts/profile.sh chat --connections 1000 --channels 10 --channels-per-user 1 \
#          --zipf-s 0 --publish-rate 1000 --churn 0 --read-sync-rate 0
# Environment:
#   BUILD=build/release      build directory (absolute, or relative to the repository) holding
#                            app/hexwire and sim/tools/hexwire-sim
#   OUT=profile-SCENARIO-TIME  output directory
#   ENGINE_ARGS="--shards 1"   extra engine flags (e.g. --write-delay-us 2000)
#   WARMUP=5 RECORD=5          seconds of load before recording, seconds recorded
#   FREQ=999                   samples per second
#   TARGET=engine              engine, sim or both: which processes perf records
#   CALL_GRAPH=dwarf,16384     perf --call-graph mode (fp needs -fno-omit-frame-pointer builds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
scenario=$1
shift
case "$scenario" in
  echo | chat | rides | mixed) ;;
  *) echo "profile.sh: unknown scenario '$scenario' (echo, chat, rides or mixed)" >&2; exit 2 ;;
esac
build=${BUILD:-build/release}
[[ "$build" == /* ]] || build="$root/$build"
engine="$build/app/hexwire"
sim="$build/sim/tools/hexwire-sim"
flamegraph="$root/scripts/flamegraph.py"
warmup=${WARMUP:-5}
record=${RECORD:-5}
freq=${FREQ:-999}
target=${TARGET:-engine}
call_graph=${CALL_GRAPH:-dwarf,16384}
out=${OUT:-"profile-$scenario-$(date +%Y%m%d-%H%M%S)"}
engine_args=${ENGINE_ARGS:-"--shards 1"}

for bin in "$engine" "$sim"; do
  [[ -x "$bin" ]] || { echo "profile.sh: $bin missing (scripts/build.sh release --target hexwire hexwire-sim)" >&2; exit 1; }
done
command -v perf >/dev/null || { echo "profile.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
if ! perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
  echo "profile.sh: perf cannot record here; check /proc/sys/kernel/perf_event_paranoid" \
       "(needs <= 1 for non-root, or run as root)" >&2
  exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

engine_pid=
sim_pid=
cleanup() {
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null || true
  [[ -n "$engine_pid" ]] && kill -INT "$engine_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

endpoint_flags=(--anonymous)
[[ "$scenario" == echo ]] && endpoint_flags=(--echo)
# shellcheck disable=SC2086
"$engine" --port 0 --log-level warn --ws-idle-timeout-ms 0 "${endpoint_flags[@]}" $engine_args \
  >"$out/engine.log" 2>&1 &
engine_pid=$!
port=
for _ in $(seq 100); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$out/engine.log" | head -1 | cut -d: -f3 || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "profile.sh: the engine did not start:" >&2; cat "$out/engine.log" >&2; exit 1; }

duration=$((warmup + record + 3))
"$sim" "$scenario" --url "ws://127.0.0.1:$port" --threads 1 --duration "$duration" \
  --report "$out/sim-report.json" "$@" >"$out/sim.log" 2>&1 &
sim_pid=$!

sleep "$warmup"
kill -0 "$sim_pid" 2>/dev/null || { echo "profile.sh: hexwire-sim ended early:" >&2; tail "$out/sim.log" >&2; exit 1; }
pids=$engine_pid
[[ "$target" == sim ]] && pids=$sim_pid
[[ "$target" == both ]] && pids="$engine_pid,$sim_pid"
curl -s "127.0.0.1:$port/metrics" >"$out/metrics-before.txt" || true
window_start=$(date +%s.%N)
echo "profile.sh: recording $target (pid $pids) for ${record}s at ${freq} Hz ..."
perf record -e cpu-clock -F "$freq" --call-graph "$call_graph" -p "$pids" -o "$out/perf.data" \
  -- sleep "$record" >"$out/perf-record.log" 2>&1
curl -s "127.0.0.1:$port/metrics" >"$out/metrics-after.txt" || true
window=$(python3 -c "print($(date +%s.%N) - $window_start)")
python3 "$root/scripts/metrics_window.py" "$out/metrics-before.txt" "$out/metrics-after.txt" \
  "$window" >"$out/metrics-window.txt" || true
wait "$sim_pid" || true
sim_pid=

echo "profile.sh: resolving stacks ..."
perf script -i "$out/perf.data" 2>/dev/null |
  python3 "$flamegraph" --svg "$out/flame.svg" --folded "$out/stacks.folded" \
    --summary "$out/summary.txt" \
    --title "hexwire $scenario: $target, ${record}s of perf cpu-clock at ${freq} Hz ($(date -u +%F))"
echo
tail -n 4 "$out/sim.log" | sed 's/^/sim: /'
echo "profile.sh: wrote $out/flame.svg (open offline in a browser), summary.txt, stacks.folded," \
     "metrics-window.txt (stage histograms over the recording), metrics-before/after.txt, sim-report.json"
