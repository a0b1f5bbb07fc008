#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the browser tests (Playwright) and the map
# benchmarks drive it headless. Idempotent; installs only what is missing.
set -euo pipefail
CHROMIUM=${TELECOM_GIS_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is needed for the browser tests: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "[setup-browser] installing Debian's chromium"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version
