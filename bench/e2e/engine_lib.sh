# Shared by the end-to-end bench scripts (source it): start_engine BINARY ARGS... starts `hexwire`
# on a free port (--port 0, anonymous /ws, warnings only) in the background and sets engine_pid
# and port once the banner names the port; stop_engine stops it with SIGINT and waits;
# fanout_binaries ROOT BUILD sets engine, sim and ceiling (loopback_ceiling) and exits naming the
# build command when one is missing.
fanout_binaries() {
  engine="$1/$2/app/hexwire"
  sim="$1/$2/sim/tools/hexwire-sim"
  ceiling="$1/$2/bench/e2e/loopback_ceiling"
  local bin
  for bin in "$engine" "$sim" "$ceiling"; do
    [[ -x "$bin" ]] || { echo "$(basename "$0"): $bin missing (cmake --build $2 --target hexwire hexwire-sim loopback_ceiling)"; exit 1; }
  done
}
start_engine() {
  local binary=$1
  shift
  engine_log=$(mktemp)
  "$binary" --port 0 --anonymous --log-level warn --ws-idle-timeout-ms 0 "$@" >"$engine_log" 2>&1 &
  engine_pid=$!
  for _ in $(seq 100); do
    port=$(grep -o 'http://127.0.0.1:[0-9]*' "$engine_log" | head -1 | cut -d: -f3 || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): engine did not start"; cat "$engine_log"; exit 1
}
stop_engine() {
  kill -INT "$engine_pid"; wait "$engine_pid" || true
  engine_pid=
  rm -f "$engine_log"
}
