#!/usr/bin/env bash
# Installs everything hexwire needs on Debian 12: compilers and libraries from Debian's packages
# (Redis, hiredis and HAProxy for the scale-out tests; none is started as a service),
# chromium for the browser tests, linux-perf and heaptrack for scripts/profile.sh and the memory
# benchmark (docs/profiling.md), gnuplot-nox for scripts/case_plots.sh, wamerican (the word list
# of the search case's corpus), the JavaScript test tools
# (ws, h3-js) from npm into tests/conformance/node_modules, and the dashboard's libraries into
# web/node_modules.
# Idempotent: a second run installs nothing and finishes in a second or two.
# Usage: scripts/setup.sh            (run as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang lld libclang-rt-14-dev git ca-certificates
  liburing-dev libboost1.81-dev libsimdjson-dev libconcurrentqueue-dev libreaderwriterqueue-dev
  libbenchmark-dev catch2 libcli11-dev libspdlog-dev libfmt-dev libssl-dev zlib1g-dev
  procps
  redis-server redis-tools libhiredis-dev haproxy
  chromium
  linux-perf heaptrack
  gnuplot-nox
  wamerican
)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js may come from Debian (nodejs + npm) or elsewhere with npm bundled: only add what is absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# JavaScript conformance tools, pinned by tests/conformance/package-lock.json.
if [ -f tests/conformance/package.json ]; then
  if ! (cd tests/conformance && node -e "require('ws'); require('h3-js')" 2>/dev/null); then
    echo "setup: installing npm test tools (ws, h3-js)"
    (cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
# The dashboard's libraries (uPlot, h3-js) and the browser-test driver (playwright-core, which
# drives Debian's chromium: it never downloads a browser), pinned by web/package-lock.json.
if ! (cd web && node -e "require.resolve('uplot'); require.resolve('h3-js'); require.resolve('playwright-core')" 2>/dev/null); then
  echo "setup: installing the dashboard's npm libraries (uplot, h3-js, playwright-core)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: ok"
