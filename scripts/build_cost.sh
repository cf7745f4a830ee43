#!/usr/bin/env bash
# Measures what a from-scratch build costs, the way CI builds it (no compiler cache): configures
# PRESET into a fresh directory build/cost-PRESET with a launcher that records the CPU time (user +
# sys, which other load on the machine changes little) and the wall time of every compile and link
# step, builds TARGETS (default: all), then prints the CPU-seconds per kind of step
# (scripts/build_cost_summary.py). docs/build.md explains the figures.
#
# Usage: scripts/build_cost.sh PRESET [TARGET...]      e.g. scripts/build_cost.sh release
#        scripts/build_cost.sh asan hexwire_asan_tests
# Output: build/cost-PRESET/build-cost.log (one line per step: user sys wall output), the summary
# on stdout. Environment: JOBS (default 2), KEEP=1 reuses the directory (an incremental build).
# On this shared machine run it under `busy`.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: scripts/build_cost.sh PRESET [TARGET...]}
shift
dir=build/cost-$preset
if [ "${KEEP:-0}" != 1 ]; then
  rm -rf "$dir"
fi
log=$PWD/$dir/build-cost.log
mkdir -p "$dir"
: > "$log"
# The launcher runs each compiler or linker command under /usr/bin/time.
launcher=$PWD/$dir/time-step.sh
cat > "$launcher" <<LAUNCHER
#!/usr/bin/env bash
out=unknown; prev=
for a in "\$@"; do [ "\$prev" = "-o" ] && out=\$a; prev=\$a; done
exec /usr/bin/time -a -o "$log" -f "%U %S %e \$out" "\$@"
LAUNCHER
chmod +x "$launcher"
# No compiler cache: CI has none, and a cache hit would measure nothing.
env -u CMAKE_C_COMPILER_LAUNCHER -u CMAKE_CXX_COMPILER_LAUNCHER \
  cmake --preset "$preset" -B "$dir" -DCMAKE_C_COMPILER_LAUNCHER="$launcher" \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_LINKER_LAUNCHER="$launcher" >/dev/null
targets=("$@")
/usr/bin/time -f "build: %U s user + %S s sys, %e s wall" \
  ninja -C "$dir" -j "${JOBS:-2}" "${targets[@]}" >"$dir/build-cost-ninja.log"
python3 scripts/build_cost_summary.py "$log"
