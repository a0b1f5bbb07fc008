#!/usr/bin/env bash
# Make sure Debian's gdal-bin (ogrinfo, ogr2ogr) is installed: the OGC API tests read our
# /ogc collections with GDAL's OAPIF driver, and the benchmarks compare against ogr2ogr.
# Idempotent; installs only what is missing.
set -euo pipefail
if command -v ogrinfo >/dev/null 2>&1 && command -v ogr2ogr >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "GDAL's tools are needed for the OGC API tests: sudo apt-get install -y gdal-bin" >&2
  exit 1
fi
echo "[setup-gdal] installing Debian's gdal-bin"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >/dev/null
ogrinfo --version
