#!/usr/bin/env bash
# Sets up, builds and runs every test through ctest. This is the README's test command and what
# CI runs (.ci/run). Steps:
#   1. scripts/setup.sh (idempotent)
#   2. thread-sanitizer build of the cross-thread core tests (mailbox stress, runtime), run clean
#   3. address + undefined-behaviour sanitizer build (asan preset) of the unit and loopback
#      integration tests labelled `asan`, run under it; the simulator's tests (sim, sim_cases),
#      conformance suites, scripts' checks and fuzzers are left to step 4
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
  # Only the binaries of the tests labelled `asan` (tests/CMakeLists.txt: core, net, pubsub, geo,
  # app, websocket, integration, redis; not the simulator's), at -O1 with line tables only.
  scripts/build.sh asan --target hexwire_asan_tests
  # Any finding fails its test: UBSan is compiled not to recover (-fno-sanitize-recover), ASan
  # halts on its first error. The two descriptor-exhaustion tests are left out: UBSan's vptr check
  # probes memory through a pipe, so with no descriptor free it reports a false "invalid vptr".
  ASAN_OPTIONS=halt_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --preset asan --no-tests=error -L '^asan$' -E 'descriptors run out'
fi

echo "== release build and the full test suite"
scripts/build.sh release
ctest --preset release "$@"
