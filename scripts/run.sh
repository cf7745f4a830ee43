#!/usr/bin/env bash
# The main job: sets up, builds the release preset (engine + simulator), starts the engine on
# 127.0.0.1:8080 as a child process (another free port if 8080 is taken), runs hexwire-sim's
# default scenario (mixed: chat + rides) against it for ~12 s, prints the report, stops the engine.
# While it runs, the dashboard is at the printed URL; the report is also drawn as HTML.
# Usage: scripts/run.sh [hexwire-sim flags...]   e.g. scripts/run.sh --connections 5000 --verify
# (with no flags it runs --publish-rate 200; any flag given replaces that).
# Environment: SIM_SECONDS (default 12), ENGINE_FLAGS (extra engine flags, e.g. "--shards 1").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release --target hexwire --target hexwire-sim

engine=build/release/app/hexwire
sim=build/release/sim/tools/hexwire-sim
report=build/release/run-report.json
html_report=build/release/run-report.html
engine_log=build/release/run-engine.log

port_in_use() {  # something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port=8080
if port_in_use "$port"; then
  for candidate in $(seq 18080 18180); do
    if ! port_in_use "$candidate"; then
      echo "run: port 8080 is busy (another process listens on it); using port $candidate instead"
      port=$candidate
      break
    fi
  done
fi

# Load-test identities: simulated users authenticate by name when the engine allows it.
anonymous=()
if "$engine" --help 2>/dev/null | grep -q -- "--anonymous"; then
  anonymous=(--anonymous)
fi

# shellcheck disable=SC2086 # ENGINE_FLAGS is a list of flags
"$engine" --host 127.0.0.1 --port "$port" "${anonymous[@]}" ${ENGINE_FLAGS:-} >"$engine_log" 2>&1 &
engine_pid=$!
stop_engine() {
  if kill -0 "$engine_pid" 2>/dev/null; then
    kill -INT "$engine_pid" 2>/dev/null || true
    wait "$engine_pid" 2>/dev/null || true
  fi
}
trap stop_engine EXIT

for _ in $(seq 1 100); do
  grep -q "listening" "$engine_log" 2>/dev/null && break
  if ! kill -0 "$engine_pid" 2>/dev/null; then
    echo "run: the engine did not start:" >&2
    cat "$engine_log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "run: $(grep -m1 listening "$engine_log")"
if grep -q "dashboard:" "$engine_log"; then
  echo "run: dashboard at http://127.0.0.1:$port/ (live while the simulation runs; City, Engine, Simulations, Channels)"
fi

# Without arguments: the default mixed scenario at a load a 2-core machine carries while it also
# runs the engine (the flag defaults publish 1000/s into ~220-member channels: ~220k deliveries/s).
if [ $# -eq 0 ]; then
  set -- --publish-rate 200
fi
status=0
"$sim" --url "ws://127.0.0.1:$port" --duration "${SIM_SECONDS:-12}" --report "$report" \
  --html "$html_report" "$@" || status=$?
stop_engine
echo "run: JSON report written to $report, drawn as HTML in $html_report"
if [ "$status" -ne 0 ]; then
  echo "run: hexwire-sim exited with status $status (3 = --verify found an anomaly)" >&2
fi
exit "$status"
