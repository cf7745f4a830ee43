#!/usr/bin/env bash
# Configures and builds one preset (default: release) into build/<preset>.
# Usage: scripts/build.sh [release|debug|asan|tsan] [extra cmake --build args...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
if [ ! -f "build/$preset/CMakeCache.txt" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" "$@"
