#!/bin/sh
# scripts/profile.sh end to end, briefly: one engine, a small chat load, 1 s of perf cpu-clock.
# Checks what a user opens afterwards: a flame graph SVG whose frames include hexwire's own code
# and the kernel, folded stacks, a summary splitting kernel from user space, and /metrics snapshots
# on both sides of the recording. Exits 4 (ctest: skipped) when perf is missing or may not record.
# Usage: profile_check.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
command -v perf >/dev/null 2>&1 || { echo "perf not installed: skipped"; exit 4; }
perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1 || { echo "perf may not record here: skipped"; exit 4; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
BUILD=$build OUT=$out/p WARMUP=2 RECORD=1 FREQ=499 CALL_GRAPH=dwarf,8192 \
  "$src/scripts/profile.sh" chat --connections 100 --channels 5 --channels-per-user 1 --zipf-s 0 \
  --publish-rate 300 --churn 0 --read-sync-rate 0 >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
fail() { echo "FAIL: $*"; cat "$out/log"; exit 1; }
for f in flame.svg stacks.folded summary.txt metrics-before.txt metrics-after.txt metrics-window.txt sim-report.json; do
  [ -s "$out/p/$f" ] || fail "$f missing or empty"
done
grep -q '<svg' "$out/p/flame.svg" || fail "flame.svg is not an SVG"
grep -q 'hexwire::' "$out/p/stacks.folded" || fail "no hexwire frame in the folded stacks"
grep -q 'leaf frame is: .*kernel' "$out/p/summary.txt" || fail "summary has no kernel share"
grep -q 'hexwire_ws_messages_sent_total .*/s' "$out/p/metrics-window.txt" || fail "metrics window lacks the message rate"
# Usage errors are reported, not run.
if "$src/scripts/profile.sh" nonsense >/dev/null 2>&1; then fail "an unknown scenario was accepted"; fi
echo "profile.sh: ok ($(head -1 "$out/p/summary.txt"))"
