#!/bin/sh
# The `hexwire` binary as a user runs it: prints its listening line with the chosen port, refuses
# a port another process holds (clear error, exit 1), and stops on SIGINT with exit 0.
# /echo is listed (and served) only with --echo.
# Usage: engine_cli_check.sh /path/to/hexwire [io_uring|epoll]. Exit 4 = skipped (no io_uring).
set -u
binary="$1"
backend="${2:-io_uring}"
work=$(mktemp -d)
trap 'kill -9 "$first" 2>/dev/null; rm -rf "$work"' EXIT

"$binary" --port 0 --shards 1 --no-pin --backend "$backend" --log-level warn >"$work/out" 2>"$work/err" &
first=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^hexwire listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/out")
  [ -n "$port" ] && break
  if ! kill -0 "$first" 2>/dev/null; then
    if [ "$backend" = io_uring ] && grep -qi io_uring "$work/err"; then
      echo "SKIPPED: $(cat "$work/err")"
      exit 4
    fi
    echo "FAIL: hexwire exited at start: $(cat "$work/err")"
    exit 1
  fi
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: no listening line"; exit 1; }
grep -q "(ws://127.0.0.1:$port/ws), 1 shards, backend $backend" "$work/out" ||
  { echo "FAIL: unexpected banner (only /ws without --echo): $(cat "$work/out")"; exit 1; }
echo "ok   banner: $(cat "$work/out")"

timeout 10 "$binary" --port "$port" --shards 1 --no-pin --backend "$backend" >"$work/out2" 2>"$work/err2"
code=$?
if [ "$code" -ne 1 ] || ! grep -q "already in use" "$work/err2"; then
  echo "FAIL: second instance on port $port: exit $code, stderr: $(cat "$work/err2")"
  exit 1
fi
echo "ok   port in use refused with exit 1: $(cat "$work/err2")"

kill -INT "$first"
for _ in $(seq 1 100); do
  kill -0 "$first" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$first" 2>/dev/null; then
  echo "FAIL: hexwire still running 10 s after SIGINT"
  exit 1
fi
wait "$first"
code=$?
[ "$code" -eq 0 ] || { echo "FAIL: exit code $code after SIGINT"; exit 1; }
echo "ok   SIGINT: exit 0"
