#!/usr/bin/env bash
# Install tipg (developmentseed's OGC Features and Tiles server, the benchmark's reference) into
# its own virtualenv, bench/.venv-tipg, from the pinned bench/tipg-requirements.txt. Idempotent:
# does nothing when that venv already holds exactly those pins. Used by `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv-tipg
REQUIREMENTS=bench/tipg-requirements.txt
STAMP=$VENV/.installed-requirements
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && cmp -s "$REQUIREMENTS" "$STAMP"; then
  exit 0
fi
echo "[setup-tipg] installing $(grep -m1 '^tipg==' "$REQUIREMENTS") into $VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
"$VENV/bin/python" -c 'import tipg; print("[setup-tipg] tipg", tipg.__version__)'
cp "$REQUIREMENTS" "$STAMP"
