#!/usr/bin/env bash
# Sets up, builds the release preset and runs every test through ctest.
# Usage: scripts/test.sh [ctest args...]     e.g. scripts/test.sh -L fuzz   or   -R hexgrid
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
ctest --preset release "$@"
