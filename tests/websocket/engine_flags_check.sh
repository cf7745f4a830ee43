#!/bin/sh
# The `hexwire` batching and receive-memory flags as a user gives them: bad values are refused
# with a message naming the flag (exit non-zero, nothing started), and --print-config shows what
# took effect: adaptive batching by default, --write-delay-us alone selecting fixed batching,
# --recv-buffers / --recv-buffer-kib carried through. Also the hostile-client limits' safe defaults
# as the binary prints them (docs/configuration.md), and identity settings that cannot be meant
# (--anonymous beside a secret, a secret under 32 bytes) refused with exit 2, --print-config too.
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

# Identity settings the engine must refuse at start (exit 2, the reason named), --print-config too.
secret=0123456789abcdef0123456789abcdef0123
refused_at_start() {  # refused_at_start EXPECTED_TEXT ARGS...: exit 2 whether printing or starting
  expected=$1
  shift
  for mode in --print-config "--port 0 --shards 1"; do
    # shellcheck disable=SC2086
    out=$(timeout 10 "$binary" $mode "$@" 2>&1)
    code=$?
    [ "$code" -eq 2 ] || fail "'$mode $*' exited $code, not 2: $out"
    echo "$out" | grep -q -- "$expected" || fail "'$mode $*' refused without naming '$expected': $out"
  done
  echo "ok   refused (exit 2) $*: $(echo "$out" | head -1)"
}
refused_at_start "cannot be combined" --anonymous --jwt-secret "$secret"
refused_at_start "at least 32" --jwt-secret "$(printf %.31s "$secret")"
refused_at_start "jwt-audience" --jwt-audience hexwire

# The hostile-client limits are on by default with the documented values.
config=$(timeout 10 "$binary" --print-config) || fail "--print-config failed"
for line in 'echo = false' 'echo-max-message-bytes = 1048576' 'auth-timeout-ms = 10000' \
            'http-header-timeout-ms = 10000' 'max-connections = 0' 'mailbox-high-water = 32768' \
            'ws-outbound-hard-limit = 1048576' 'ws-outbound-reply-reserve = 262144' \
            'ws-slow-policy = "close"' 'ws-idle-timeout-ms = 120000' 'anonymous = false' \
            'ws-publish-rate = 1000' 'ws-op-rate = 1000' 'ws-expensive-op-rate = 100' \
            'presence-by-default = false' 'presence-max-members = 1000' \
            'presence-count-interval-ms = 1000' 'history-max-bytes-per-shard = 134217728' \
            'channel-idle-ttl-s = 600' 'offline-member-ttl-s = 3600' \
            'max-offline-members-per-channel = 10000' 'offline-queue-max-messages = 100'; do
  echo "$config" | grep -qxF "$line" || fail "default is not '$line'"
done
echo "ok   --print-config shows the hostile-client limits' safe defaults"
config=$(timeout 10 "$binary" --print-config --jwt-secret "$secret") || fail "a 36-byte secret refused"
echo "$config" | grep -q "$secret" && fail "--print-config printed the secret"
echo "ok   a 36-byte secret is accepted and not printed"
