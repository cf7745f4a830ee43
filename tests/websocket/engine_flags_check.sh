#!/bin/sh
# The `hexwire` batching and receive-memory flags as a user gives them: bad values are refused
# with a message naming the flag (exit non-zero, nothing started), and --print-config shows what
# took effect: adaptive batching by default, --write-delay-us alone selecting fixed batching,
# --recv-buffers / --recv-buffer-kib carried through.
# Usage: engine_flags_check.sh /path/to/hexwire
set -u
binary="$1"
fail() { echo "FAIL: $*"; exit 1; }

refused() {  # refused EXPECTED_TEXT ARGS...: the engine must exit non-zero naming EXPECTED_TEXT
  expected=$1
  shift
  out=$(timeout 10 "$binary" --print-config "$@" 2>&1) && fail "accepted: $* -> $out"
  echo "$out" | grep -q -- "$expected" || fail "'$*' refused without naming '$expected': $out"
  echo "ok   refused $*: $(echo "$out" | head -1)"
}
refused "recv-buffers" --recv-buffers 1000
refused "recv-buffers" --recv-buffers 8
refused "recv-buffer-kib" --recv-buffer-kib 0
refused "write-batching" --write-batching sometimes
refused "write-delay-max-us" --write-delay-max-us 50

config=$(timeout 10 "$binary" --print-config) || fail "--print-config failed"
echo "$config" | grep -qx 'write-batching = "adaptive"' || fail "default is not adaptive: $config"
echo "$config" | grep -qx 'recv-buffers = 256' || fail "default recv-buffers: $config"
config=$(timeout 10 "$binary" --print-config --write-delay-us 2000) || fail "--write-delay-us refused"
echo "$config" | grep -qx 'write-batching = "fixed"' || fail "--write-delay-us alone did not select fixed: $config"
echo "$config" | grep -qx 'write-delay-us = 2000' || fail "write-delay-us not kept: $config"
config=$(timeout 10 "$binary" --print-config --write-delay-us 2000 --write-batching adaptive) ||
  fail "explicit adaptive with a delay refused"
echo "$config" | grep -qx 'write-batching = "adaptive"' || fail "explicit --write-batching overridden: $config"
config=$(timeout 10 "$binary" --print-config --recv-buffers 256 --recv-buffer-kib 4) ||
  fail "valid receive buffers refused"
echo "$config" | grep -qx 'recv-buffers = 256' || fail "recv-buffers not kept: $config"
echo "$config" | grep -qx 'recv-buffer-kib = 4' || fail "recv-buffer-kib not kept: $config"
echo "ok   --print-config shows batching and receive buffers as given"
