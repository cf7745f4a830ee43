# shellcheck shell=bash
# Shared by the scale-out bench scripts (source it, after engine_lib.sh):
#   start_redis ARGS...  starts redis-server on a free loopback port in a temporary directory (no
#                        RDB snapshots; ARGS are extra redis-server options such as
#                        `--appendonly yes`) and sets redis_pid, redis_port, redis_dir;
#   stop_redis           stops it (SIGTERM, then SIGKILL after 5 s) and removes the directory;
#   rcli ARGS...         redis-cli against it;
#   start_engines N ARGS...  starts N `hexwire` processes (start_engine of engine_lib.sh) and
#                        fills engine_pids, engine_ports, engine_logs; ARGS may contain @NODE@,
#                        replaced by the node's id (n1, n2, ...);
#   stop_engines         stops every engine start_engines started;
#   kill_all_servers     for an EXIT trap: kills whatever of the above still runs.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
  redis_dir=$(mktemp -d)
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save '' \
    --daemonize no --logfile "$redis_dir/redis.log" "$@" &
  redis_pid=$!
  for _ in $(seq 100); do
    [[ "$(redis-cli -p "$redis_port" PING 2>/dev/null)" == PONG ]] && return 0
    sleep 0.05
  done
  echo "$(basename "$0"): redis-server did not start"; cat "$redis_dir/redis.log"; exit 1
}

stop_redis() {
  [[ -n "${redis_pid:-}" ]] || return 0
  kill -TERM "$redis_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$redis_dir"
  redis_pid=
}

rcli() { redis-cli -p "$redis_port" "$@"; }

engine_pids=()
engine_ports=()
engine_logs=()

start_engines() {
  local count=$1 binary=$2
  shift 2
  local i
  for ((i = 1; i <= count; i++)); do
    start_engine "$binary" "${@//@NODE@/n$i}"
    engine_pids+=("$engine_pid")
    engine_ports+=("$port")
    engine_logs+=("$engine_log")
  done
}

stop_engines() {
  local i
  for i in "${!engine_pids[@]}"; do
    engine_pid=${engine_pids[$i]} engine_log=${engine_logs[$i]}
    stop_engine
  done
  engine_pids=() engine_ports=() engine_logs=()
}

kill_all_servers() {
  local pid
  for pid in "${engine_pids[@]}" ${engine_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ -n "${redis_pid:-}" ]]; then kill -KILL "$redis_pid" 2>/dev/null || true; fi
  if [[ -n "${redis_dir:-}" ]]; then rm -rf "$redis_dir"; fi
  return 0
}
