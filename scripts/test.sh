#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest. This is the README's test command and what
# CI runs (.ci/run). Steps:
#   1. scripts/setup.sh (idempotent)
#   2. thread-sanitizer build of the cross-thread core tests (mailbox stress, runtime), run clean
#   3. address + undefined-behaviour sanitizer build (asan preset: no benchmarks, no fuzzers, no
#      header check) and the unit and loopback integration tests under it; the simulator's
#      end-to-end scenarios, conformance suites and case checks are left to step 4
#   4. release build of everything, then the whole ctest suite (unit, integration, conformance,
#      fuzzers for a bounded time each)
# Usage: scripts/test.sh [ctest args for step 4...]   e.g. scripts/test.sh -R hexgrid
# HEXWIRE_SKIP_TSAN=1 skips step 2, HEXWIRE_SKIP_ASAN=1 step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ "${HEXWIRE_SKIP_TSAN:-0}" != "1" ]; then
  echo "== thread sanitizer: core mailbox and runtime tests"
  scripts/build.sh tsan --target core_mailbox_test core_runtime_test
  # TSan needs a non-randomised address layout on some kernels; setarch -R gives it one.
  setarch "$(uname -m)" -R ctest --preset tsan -R '^core_(mailbox|runtime)_test'
fi

if [ "${HEXWIRE_SKIP_ASAN:-0}" != "1" ]; then
  echo "== address + undefined-behaviour sanitizers: unit and loopback integration tests"
  scripts/build.sh asan
  # alloc_dealloc_mismatch=0: the allocation-counting tests replace the global operator new.
  # The descriptor-exhaustion tests are left out: UBSan's vptr check needs a free descriptor.
  ASAN_OPTIONS=alloc_dealloc_mismatch=0 ctest --preset asan \
    -LE '^(fuzz|conformance|sim_cases|case_check|browser)$' \
    -E '^integration_sim_test$|descriptors run out'
fi

echo "== release build and the full test suite"
scripts/build.sh release
ctest --preset release "$@"
