"""ogr2ogr (Debian's gdal-bin), the reference for exports and imports, timed as a process.

Each run reports wall-clock seconds (process start to exit) and the process's peak resident
memory in MiB, read from ``/proc/<pid>/status`` VmHWM while it runs (the kernel's high-water
mark of that process only; a forked child's rusage would report the benchmark's own peak).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.bare_sql import conninfo

#: How often (seconds) the child's VmHWM is read while it runs.
POLL_SECONDS = 0.02


def version() -> str:
    """``GDAL 3.6.2, released ...`` (exits with a hint when ogr2ogr is missing)."""
    try:
        return subprocess.run(["ogr2ogr", "--version"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except FileNotFoundError:
        raise SystemExit("ogr2ogr is missing: run `make gdal` (Debian gdal-bin)") from None


def _hwm_mib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd``; its seconds and peak RSS (MiB). Exits the benchmark when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    try:
        while child.poll() is None:
            peak = max(peak, _hwm_mib(child.pid) or 0)
            time.sleep(POLL_SECONDS)
    except BaseException:  # interrupted: do not leave ogr2ogr running
        child.kill()
        child.wait()
        raise
    seconds = time.perf_counter() - started
    output = child.stdout.read().decode(errors="replace")
    if child.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({child.returncode}): {output[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mib": peak}


def export_geojson(url: str, out: Path) -> dict:
    """``ogr2ogr -f GeoJSON out PG:... cable_segments``: time, peak memory, size and rows."""
    result = run_measured(["ogr2ogr", "-f", "GeoJSON", str(out), f"PG:{conninfo(url)}",
                           "cable_segments"])
    with out.open("rb") as lines:  # GDAL writes one feature per line
        rows = sum(1 for line in lines if line.startswith(b'{ "type": "Feature"'))
    return {**result, "mib": round(out.stat().st_size / 2**20, 1), "rows": rows}


def import_gpkg(url: str, gpkg: Path, rows: int) -> dict:
    """``ogr2ogr -f PostgreSQL PG:... segments.gpkg`` (a new table, COPY, GiST index, the
    driver's defaults): time, peak memory and rows per second for ``rows`` rows."""
    result = run_measured(["ogr2ogr", "-f", "PostgreSQL", f"PG:{conninfo(url)}", str(gpkg)])
    return {**result, "rows": rows, "rows_per_second": round(rows / result["seconds"])}
