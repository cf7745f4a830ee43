#!/usr/bin/env bash
# profile the base sim in the storm
set -u
ulimit -n 40000
E=$1; S=$2; OUT=$3
mkdir -p $OUT
log=$OUT/engine.log
$E --port 0 --anonymous --log-level warn --ws-idle-timeout-ms 0 --shards 1 >$log 2>&1 &
ep=$!
for i in $(seq 100); do port=$(grep -o 'http://127.0.0.1:[0-9]*' $log | head -1 | cut -d: -f3); [ -n "$port" ] && break; sleep 0.1; done
perf record -F 2000 -g -o $OUT/sim.perf.data -- $S chat --url ws://127.0.0.1:$port --connections 16000 --channels 100 --channels-per-user 4 --publish-rate 10 --churn 0 --read-sync-rate 0 --ramp-rate 8000 --threads 1 --verify --duration 7 --reconnect-storm 3 --source-addrs 127.0.0.1-127.0.0.4 --report $OUT/sim.json > $OUT/sim.txt 2>&1
kill -INT $ep; wait $ep
