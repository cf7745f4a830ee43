# shellcheck shell=sh
# Shell library (POSIX sh, sourced, not run) that starts a pool of hexwire engines and a
# redis-server on free loopback ports, for the gateway-pool tests (tests/scaleout/*_check.sh) and
# the scale-out benchmark (bench/e2e/scale_out.sh). Everything it starts is recorded in pool_pids
# and killed at exit, also when a check fails (pool_cleanup, an EXIT trap; a script with its own
# trap calls pool_cleanup from it). Exit 4 = skipped (ctest SKIP_RETURN_CODE), 1 = failed.
#   free_port                 a free loopback port below the ephemeral range
#   start_redis [ARGS...]     redis-server (no persistence unless ARGS say so, e.g. --appendonly
#                             yes) in its own directory; sets redis_port, redis_pid, redis_dir
#   stop_redis                SIGTERM (SIGKILL after 5 s), removes its directory
#   rcli ARGS...              redis-cli against it
#   start_engine NAME ARGS... `$hexwire $pool_engine_flags ARGS` (give --port); waits for its
#                             banner; sets engine_pid and engine_port, appends them to
#                             engine_pids / engine_ports (space-separated, in start order)
#   start_engines N ARGS...   N engines n1..nN with the same ARGS
#   stop_engines              SIGINT to every engine started, waits; empties the lists
#   metric PORT NAME          an unlabelled metric of the engine at PORT (/metrics)
#   established_by_pid PORT PID  established TCP connections on local PORT owned by PID

pool_work=$(mktemp -d)
pool_pids=""
engine_pids=""
engine_ports=""
redis_pid=""
# Flags before the caller's on every engine (a caller may set its own after sourcing).
pool_engine_flags="--shards 1 --no-pin --log-level warn"

pool_cleanup() {
  for pool_pid in $pool_pids; do
    kill -9 "$pool_pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$pool_work"
}
trap pool_cleanup EXIT
trap 'exit 1' INT TERM

# pool_forget PID: PID ended (stopped by us): not to be killed at exit.
pool_forget() {
  pool_rest=""
  for pool_pid in $pool_pids; do
    [ "$pool_pid" = "$1" ] || pool_rest="$pool_rest $pool_pid"
  done
  pool_pids=$pool_rest
}

skip() {
  echo "SKIPPED: $*"
  exit 4
}

# Prints the failure and the end of every server log, then exits 1 (the trap stops the servers).
fail() {
  echo "FAIL: $*"
  for log in "$pool_work"/*.log; do
    [ -f "$log" ] || continue
    echo "--- end of $log"
    tail -n 8 "$log"
  done
  exit 1
}

ok() {
  echo "ok   $*"
}

# A loopback TCP port no socket uses now: random in 10000-31999, below Linux's default ephemeral
# range (32768-60999) so that no outgoing connection takes it meanwhile; checked with ss. A caller
# that loses a race anyway retries (see start_redis).
free_port() {
  for _ in $(seq 1 50); do
    port=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 22000 ))
    if [ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

start_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/setup.sh)"
  redis_dir="$pool_work/redis"
  mkdir -p "$redis_dir"
  for _ in 1 2 3; do
    redis_port=$(free_port) || fail "no free port for redis-server"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save "" \
      --appendonly no --protected-mode no "$@" >"$pool_work/redis.log" 2>&1 &
    redis_pid=$!
    pool_pids="$pool_pids $redis_pid"
    for _ in $(seq 1 100); do
      [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
      kill -0 "$redis_pid" 2>/dev/null || break  # lost the port: try another
      sleep 0.1
    done
  done
  fail "redis-server did not answer PING on port $redis_port"
}

stop_redis() {
  [ -n "$redis_pid" ] || return 0
  kill -TERM "$redis_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  pool_forget "$redis_pid"
  rm -rf "$redis_dir"
  redis_pid=""
}

rcli() {
  redis-cli -p "$redis_port" "$@"
}

# Exits 4 when io_uring is not available here.
start_engine() {
  : "${hexwire:?set hexwire to the engine binary before start_engine}"
  engine_name="$1"
  shift
  # shellcheck disable=SC2086  # pool_engine_flags is a list of flags
  "$hexwire" $pool_engine_flags "$@" >"$pool_work/$engine_name.out" \
    2>"$pool_work/$engine_name.log" &
  engine_pid=$!
  pool_pids="$pool_pids $engine_pid"
  engine_port=""
  for _ in $(seq 1 100); do
    engine_port=$(sed -n 's/^hexwire listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
      "$pool_work/$engine_name.out")
    if [ -n "$engine_port" ]; then
      engine_pids="$engine_pids${engine_pids:+ }$engine_pid"
      engine_ports="$engine_ports${engine_ports:+ }$engine_port"
      return 0
    fi
    if ! kill -0 "$engine_pid" 2>/dev/null; then
      grep -qi io_uring "$pool_work/$engine_name.log" && skip "$(cat "$pool_work/$engine_name.log")"
      fail "engine $engine_name exited at start: $(cat "$pool_work/$engine_name.log")"
    fi
    sleep 0.1
  done
  fail "engine $engine_name printed no listening line"
}

start_engines() {
  pool_count=$1
  shift
  for pool_i in $(seq 1 "$pool_count"); do
    start_engine "n$pool_i" "$@"
  done
}

stop_engines() {
  for pool_pid in $engine_pids; do
    kill -INT "$pool_pid" 2>/dev/null || true
  done
  for pool_pid in $engine_pids; do
    wait "$pool_pid" 2>/dev/null || true
    pool_forget "$pool_pid"
  done
  engine_pids=""
  engine_ports=""
}

established_by_pid() {
  ss -Htnp state established "( sport = :$1 )" 2>/dev/null | grep -c "pid=$2,"
}

metric() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 \([0-9.e+]*\)\$/\1/p"
}
