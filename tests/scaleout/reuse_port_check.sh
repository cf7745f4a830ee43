#!/bin/sh
# Several hexwire processes on one port (--reuse-port): the first picks the port, a second without
# the flag is refused (the default still refuses a taken port), a second with it joins, and the
# connections of a hexwire-sim run reach both processes (counted per process with ss while the
# run holds them). The echo run is verified: nothing lost on either process.
# Usage: reuse_port_check.sh /path/to/hexwire /path/to/hexwire-sim. Exit 4 = skipped.
set -u
hexwire="$1"
sim="$2"
. "$(dirname "$0")/../../scripts/pool_lib.sh"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"

start_engine first --port 0 --reuse-port --echo
first_pid=$engine_pid
port=$engine_port
ok "first engine on port $port with --reuse-port"

timeout 10 "$hexwire" --port "$port" --shards 1 --no-pin --echo >"$pool_work/refused.out" \
  2>"$pool_work/refused.err"
code=$?
if [ "$code" -ne 1 ] || ! grep -q "already in use" "$pool_work/refused.err"; then
  fail "an engine without --reuse-port on port $port: exit $code, $(cat "$pool_work/refused.err")"
fi
ok "without --reuse-port the taken port is refused: $(cat "$pool_work/refused.err")"

start_engine second --port "$port" --reuse-port --echo
second_pid=$engine_pid
[ "$engine_port" = "$port" ] || fail "second engine listens on $engine_port, not $port"
ok "second engine joined port $port"

"$sim" echo --url "ws://127.0.0.1:$port" --connections 200 --ramp-rate 0 --rate 400 \
  --duration 3 --drain 1 --verify >"$pool_work/sim.out" 2>&1 &
sim_pid=$!
pool_pids="$pool_pids $sim_pid"
first_max=0
second_max=0
for _ in $(seq 1 25); do
  sleep 0.1
  a=$(established_by_pid "$port" "$first_pid")
  b=$(established_by_pid "$port" "$second_pid")
  [ "$a" -gt "$first_max" ] && first_max=$a
  [ "$b" -gt "$second_max" ] && second_max=$b
  [ $((a + b)) -ge 200 ] && break
done
wait "$sim_pid"
code=$?
[ "$code" -eq 0 ] || fail "hexwire-sim exit $code: $(tail -n 20 "$pool_work/sim.out")"
grep -q "verify: OK" "$pool_work/sim.out" || fail "echo not verified: $(tail -n 20 "$pool_work/sim.out")"
total=$((first_max + second_max))
echo "connections held: first process $first_max, second process $second_max (of 200)"
[ "$total" -ge 200 ] || fail "only $total of 200 connections seen on the two processes"
# The kernel hashes each connection's 4-tuple over the listeners: both get a share (the chance
# that one of two gets none of 200 is 2^-199).
[ "$first_max" -gt 0 ] && [ "$second_max" -gt 0 ] || fail "one process got no connection"
ok "both processes served the run: $first_max + $second_max, echo verified"

# One process leaving does not close the port: the other keeps accepting.
kill -INT "$first_pid"
wait "$first_pid" 2>/dev/null
"$sim" echo --url "ws://127.0.0.1:$port" --connections 20 --ramp-rate 0 --rate 100 \
  --duration 1 --drain 1 --verify >"$pool_work/sim2.out" 2>&1 ||
  fail "after the first engine stopped: $(tail -n 20 "$pool_work/sim2.out")"
ok "after the first process stopped, the second serves the port alone"
