"""tipg (developmentseed's OGC API Features and Tiles server), the reference implementation.

``scripts/setup-tipg.sh`` installs it, pinned (bench/tipg-requirements.txt), into its own
virtualenv ``bench/.venv-tipg``; :func:`start_tipg` serves it with uvicorn on loopback,
restricted to ``public.cable_segments``, its asyncpg connections carrying the same serving
settings as our API's (``jit=off``, ``max_parallel_workers_per_gather=0``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.bare_sql import libpq_url

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-tipg"
PYTHON = VENV / "bin" / "python"
#: tipg's id of the segments table (schema-qualified) and its tile matrix set.
COLLECTION = "public.cable_segments"
TMS = "WebMercatorQuad"
#: The serving settings, as asyncpg server settings in the DSN's query string.
SERVER_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def version() -> str:
    """The installed tipg version; exits with a hint when it is not installed."""
    if not PYTHON.exists():
        raise SystemExit(f"tipg is not installed in {VENV}: run bash scripts/setup-tipg.sh")
    return subprocess.run([str(PYTHON), "-c", "import tipg; print(tipg.__version__)"],
                          check=True, capture_output=True, text=True).stdout.strip()


def items_path(bbox: tuple[float, float, float, float], limit: int = 1000) -> str:
    """tipg's items request for a bbox (lon/lat, EPSG:4326)."""
    return (f"/collections/{COLLECTION}/items?bbox={','.join(map(str, bbox))}&limit={limit}")


def tile_path(tile: tuple[int, int, int]) -> str:
    """tipg's vector tile request (WebMercatorQuad z/x/y)."""
    z, x, y = tile
    return f"/collections/{COLLECTION}/tiles/{TMS}/{z}/{x}/{y}"


def start_tipg(url: str, port: int, workers: int) -> subprocess.Popen:
    """uvicorn serving ``tipg.main:app`` on the database ``url`` (SQLAlchemy form); returns
    once the segments collection is listed (exits the benchmark when not within 90 s)."""
    query = "&".join(f"{key}={value}" for key, value in SERVER_SETTINGS.items())
    env = dict(os.environ, DATABASE_URL=f"{libpq_url(url)}?{query}",
               TIPG_DB_SCHEMAS=json.dumps(["public"]),
               TIPG_DB_TABLES=json.dumps([COLLECTION]),
               TIPG_DB_FUNCTIONS=json.dumps([]),
               TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS=json.dumps(["public", "pg_catalog"]),
               TIPG_DEBUG="false")
    server = subprocess.Popen(
        [str(PYTHON), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], cwd=VENV, env=env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"tipg exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/collections", timeout=5) as r:
                ids = [c["id"] for c in json.load(r)["collections"]]
            if COLLECTION in ids:
                return server
            server.kill()
            raise SystemExit(f"tipg does not list {COLLECTION} (it lists {ids})")
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    server.kill()
    raise SystemExit("tipg did not start within 90 s")
