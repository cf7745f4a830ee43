# Shared by the end-to-end bench scripts (source it): start_engine BINARY ARGS... starts `hexwire`
# on a free port (--port 0, anonymous /ws, warnings only) in the background and sets engine_pid
# and port once the banner names the port; stop_engine stops it with SIGINT and waits.
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
