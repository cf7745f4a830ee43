#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest. This is the README's test command and what
# CI runs (.ci/run). Steps:
#   1. scripts/setup.sh (idempotent)
#   2. thread-sanitizer build of the cross-thread core tests (mailbox stress, runtime), run clean
#   3. release build of everything, then the whole ctest suite (unit, integration, conformance,
#      fuzzers for a bounded time each)
# Usage: scripts/test.sh [ctest args for step 3...]   e.g. scripts/test.sh -R hexgrid
# HEXWIRE_SKIP_TSAN=1 skips step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ "${HEXWIRE_SKIP_TSAN:-0}" != "1" ]; then
  echo "== thread sanitizer: core mailbox and runtime tests"
  scripts/build.sh tsan --target core_mailbox_test core_runtime_test
  # TSan needs a non-randomised address layout on some kernels; setarch -R gives it one.
  setarch "$(uname -m)" -R ctest --preset tsan -R '^core_(mailbox|runtime)_test'
fi

echo "== release build and the full test suite"
scripts/build.sh release
ctest --preset release "$@"
