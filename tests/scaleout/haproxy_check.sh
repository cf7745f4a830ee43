#!/bin/sh
# HAProxy in front of a pool of two hexwire nodes on the Redis broker, as docs/scale-out.md
# describes it: the configuration from scripts/haproxy_config.sh is valid, both nodes pass the
# /healthz check, a verified hexwire-sim chat run through the one HAProxy port reaches both nodes
# (each node's /metrics counts publishes and deliveries), and every message reaches every
# subscriber whichever node each side is on (--verify). Then a node is stopped: HAProxy marks it
# down and new connections go to the other node.
# Usage: haproxy_check.sh /path/to/hexwire /path/to/hexwire-sim /path/to/haproxy_config.sh
# Exit 4 = skipped (no haproxy, no redis-server, no io_uring).
set -u
hexwire="$1"
sim="$2"
config_script="$3"
. "$(dirname "$0")/../../scripts/pool_lib.sh"
command -v haproxy >/dev/null || skip "haproxy is not installed (scripts/setup.sh)"

start_redis
redis="redis://127.0.0.1:$redis_port"
start_engine node_a --port 0 --anonymous --broker redis --redis "$redis" --node-id node-a
a_pid=$engine_pid
a_port=$engine_port
start_engine node_b --port 0 --anonymous --broker redis --redis "$redis" --node-id node-b
b_port=$engine_port
ok "redis on $redis_port, nodes on $a_port and $b_port"

# HAProxy on two free ports (its frontend and its stats page); another try if it lost a port race.
start_haproxy() {
  for _ in 1 2 3; do
    lb_port=$(free_port) || fail "no free port for haproxy"
    stats_port=$(free_port) || fail "no free port for the stats page"
    sh "$config_script" --bind "127.0.0.1:$lb_port" --stats "127.0.0.1:$stats_port" \
      --maxconn 2000 "127.0.0.1:$a_port" "127.0.0.1:$b_port" >"$pool_work/haproxy.cfg"
    haproxy -c -f "$pool_work/haproxy.cfg" >"$pool_work/haproxy_check.log" 2>&1 ||
      fail "haproxy -c: $(cat "$pool_work/haproxy_check.log")"
    haproxy -db -f "$pool_work/haproxy.cfg" >"$pool_work/haproxy.log" 2>&1 &
    haproxy_pid=$!
    pool_pids="$pool_pids $haproxy_pid"
    sleep 0.3
    kill -0 "$haproxy_pid" 2>/dev/null && return 0
  done
  fail "haproxy did not start"
}
start_haproxy

# node_status N: HAProxy's view of server nodeN (UP, DOWN, ...), from its stats CSV.
node_status() {
  curl -s --max-time 2 "http://127.0.0.1:$stats_port/stats;csv" |
    awk -F, -v name="node$1" '$1 == "hexwire_nodes" && $2 == name { print $18 }'
}
wait_status() {
  for _ in $(seq 1 100); do
    [ "$(node_status "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "HAProxy never reported node$1 $2 (last: '$(node_status "$1")')"
}
wait_status 1 UP
wait_status 2 UP
ok "haproxy on $lb_port: both nodes UP (health check GET /healthz)"

"$sim" chat --url "ws://127.0.0.1:$lb_port" --connections 200 --channels 8 \
  --channels-per-user 2 --publish-rate 200 --churn 0.05 --read-sync-rate 0 --duration 3 \
  --drain 2 --threads 1 --verify --report "$pool_work/chat.json" >"$pool_work/sim.out" 2>&1
code=$?
grep "^verify:" "$pool_work/sim.out"
[ "$code" -eq 0 ] || fail "hexwire-sim through haproxy: exit $code: $(tail -n 25 "$pool_work/sim.out")"
for port in "$a_port" "$b_port"; do
  publishes=$(metric "$port" hexwire_ws_app_publishes_total)
  deliveries=$(metric "$port" hexwire_ws_app_deliveries_total)
  echo "node on $port: publishes ${publishes:-?}, deliveries ${deliveries:-?}"
  [ "${publishes:-0}" != 0 ] && [ "${deliveries:-0}" != 0 ] ||
    fail "the node on $port took no share of the run through haproxy"
done
ok "chat through haproxy verified: both nodes published and delivered, nothing lost"

# A stopped node is marked down and new connections go to the other one only.
kill -INT "$a_pid"
wait_status 1 DOWN
ok "node1 stopped: HAProxy marks it DOWN"
"$sim" chat --url "ws://127.0.0.1:$lb_port" --connections 20 --channels 4 \
  --channels-per-user 2 --publish-rate 20 --churn 0 --read-sync-rate 0 --duration 1 \
  --drain 1 --threads 1 --verify >"$pool_work/sim2.out" 2>&1 ||
  fail "with one node down: $(tail -n 25 "$pool_work/sim2.out")"
ok "with node1 down every connection goes to node2, verified"
