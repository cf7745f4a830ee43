#!/usr/bin/env bash
# The main job: sets up, builds the release preset and starts the engine on 127.0.0.1:8080.
# Extra arguments go to the engine, e.g. scripts/run.sh --shards 2 --backend epoll.
# Stop it with Ctrl-C (SIGINT): it drains and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release --target hexwire
exec build/release/app/hexwire "$@"
