#!/usr/bin/env bash
# wrapper: record the engine with perf (dwarf stacks) for the whole run
exec perf record -e cpu-clock -F 1999 --call-graph dwarf,8192 -o "${PERF_OUT:-/tmp/se-perf.data}" -- /work/wt/conn16/build/release/app/hexwire "$@"
