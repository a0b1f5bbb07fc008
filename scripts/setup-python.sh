#!/usr/bin/env bash
# Make sure python3 (>= 3.11) with venv and pip exists; install Debian's packages when missing.
set -euo pipefail
if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Python >= 3.11 with venv is needed: sudo apt-get install -y python3 python3-venv python3-pip" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "python3 is older than 3.11" >&2; exit 1; }
