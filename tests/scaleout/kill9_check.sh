#!/bin/sh
# A node killed with kill -9 under load: three hexwire nodes on the Redis broker, a verified
# hexwire-sim chat run spread over the three (--url a,b,c), and node b killed (SIGKILL, no close
# frames, no goodbye to Redis) in the middle of the load. Its clients reconnect to the next node
# of their list and resume every channel with since/epoch; --verify must find nothing lost,
# duplicated, reordered or unrecovered. Publishes in flight on the dead node are "in doubt" (no ack
# came; taken or not, both are correct) and, when taken, must still reach every subscriber.
# Usage: kill9_check.sh /path/to/hexwire /path/to/hexwire-sim [ARTIFACT_DIR]
# With ARTIFACT_DIR the JSON report and the simulator's output are kept there.
# Exit 4 = skipped (no redis-server, no io_uring).
set -u
hexwire="$1"
sim="$2"
artifacts="${3:-}"
. "$(dirname "$0")/../../scripts/pool_lib.sh"

start_redis
redis="redis://127.0.0.1:$redis_port"
urls=""
for node in a b c; do
  start_engine "node_$node" --port 0 --anonymous --broker redis --redis "$redis" --node-id "node-$node"
  eval "${node}_pid=$engine_pid"
  eval "${node}_port=$engine_port"
  urls="$urls${urls:+,}ws://127.0.0.1:$engine_port"
done
ok "redis on $redis_port, nodes a b c on $a_port $b_port $c_port"

# 300 clients (100 per node) open in 0.3 s; the load runs 6 s from ~1.3 s; node b dies 2.5 s into
# the load, and the 2 s drain leaves time for the last resumes to replay.
"$sim" chat --url "$urls" --connections 300 --channels 12 --channels-per-user 3 \
  --publish-rate 300 --churn 0 --read-sync-rate 0 --duration 6 --drain 3 --threads 1 \
  --verify --report "$pool_work/kill9.json" >"$pool_work/sim.out" 2>&1 &
sim_pid=$!
pool_pids="$pool_pids $sim_pid"
sleep 3.8
kill -9 "$b_pid"
ok "node b (pid $b_pid) killed with SIGKILL under load"
wait "$sim_pid"
code=$?
cat "$pool_work/sim.out" | grep -E "^verify:|connections opened to|connections lost|in doubt|chat channels resumed|reconnects that failed"
if [ -n "$artifacts" ]; then
  mkdir -p "$artifacts"
  cp "$pool_work/kill9.json" "$artifacts/kill9-report.json"
  cp "$pool_work/sim.out" "$artifacts/kill9-sim.txt"
fi
[ "$code" -eq 0 ] || fail "hexwire-sim exit $code (3 = verify failed): $(tail -n 30 "$pool_work/sim.out")"
grep -q "^verify: OK" "$pool_work/sim.out" || fail "not verified: $(tail -n 30 "$pool_work/sim.out")"

# The kill must have hit clients, and they must have come back on the other nodes.
lost=$(sed -n 's/^chat connections lost (closed by the server or the network; reconnected) *\([0-9]*\)$/\1/p' \
  "$pool_work/sim.out")
[ "${lost:-0}" -ge 50 ] || fail "only ${lost:-0} connections were lost with node b: did the kill hit?"
opened_b=$(sed -n "s|^connections opened to ws://127.0.0.1:$b_port *\([0-9]*\)\$|\1|p" "$pool_work/sim.out")
opened_a=$(sed -n "s|^connections opened to ws://127.0.0.1:$a_port *\([0-9]*\)\$|\1|p" "$pool_work/sim.out")
opened_c=$(sed -n "s|^connections opened to ws://127.0.0.1:$c_port *\([0-9]*\)\$|\1|p" "$pool_work/sim.out")
[ $(( ${opened_a:-0} + ${opened_c:-0} )) -ge $(( 200 + lost )) ] ||
  fail "the $lost clients of node b did not come back on a and c (a ${opened_a:-0}, c ${opened_c:-0})"
ok "$lost clients of node b reconnected to a and c and resumed; verify OK (b had ${opened_b:-0})"
