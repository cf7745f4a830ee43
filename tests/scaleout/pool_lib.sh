# Shell helpers of the gateway-pool tests (sourced, not run): a temporary directory, servers
# started in the background and always killed at exit (also when a check fails), free loopback
# ports, hexwire engines started with --port and read back from their banner, redis-server on a
# free port, and per-process connection counts from `ss`. Exit 4 = skipped (ctest
# SKIP_RETURN_CODE), 1 = failed.

pool_work=$(mktemp -d)
pool_pids=""

pool_cleanup() {
  for pid in $pool_pids; do
    kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$pool_work"
}
trap pool_cleanup EXIT
trap 'exit 1' INT TERM

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

# start_redis: redis-server on a free port in its own directory, no persistence; sets redis_port.
start_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/setup.sh)"
  mkdir -p "$pool_work/redis"
  for _ in 1 2 3; do
    redis_port=$(free_port) || fail "no free port for redis-server"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$pool_work/redis" --save "" \
      --appendonly no --protected-mode no >"$pool_work/redis.log" 2>&1 &
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

# start_engine NAME ARGS...: runs `$hexwire ARGS` (give --port), waits for its banner; sets
# engine_pid and engine_port. Exits 4 when io_uring is not available here.
start_engine() {
  engine_name="$1"
  shift
  "$hexwire" --shards 1 --no-pin --log-level warn "$@" >"$pool_work/$engine_name.out" \
    2>"$pool_work/$engine_name.log" &
  engine_pid=$!
  pool_pids="$pool_pids $engine_pid"
  engine_port=""
  for _ in $(seq 1 100); do
    engine_port=$(sed -n 's/^hexwire listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
      "$pool_work/$engine_name.out")
    [ -n "$engine_port" ] && return 0
    if ! kill -0 "$engine_pid" 2>/dev/null; then
      grep -qi io_uring "$pool_work/$engine_name.log" && skip "$(cat "$pool_work/$engine_name.log")"
      fail "engine $engine_name exited at start: $(cat "$pool_work/$engine_name.log")"
    fi
    sleep 0.1
  done
  fail "engine $engine_name printed no listening line"
}

# established_by_pid PORT PID: established TCP connections on local port PORT owned by PID.
established_by_pid() {
  ss -Htnp state established "( sport = :$1 )" 2>/dev/null | grep -c "pid=$2,"
}

# metric PORT NAME: the unlabelled value of metric NAME on the engine at PORT (/metrics).
metric() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 \([0-9.e+]*\)\$/\1/p"
}
