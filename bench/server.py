"""The API served by uvicorn in a child process on loopback, for the HTTP benchmarks."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from api.serving import HTTP_PROTOCOL

ROOT = Path(__file__).resolve().parent.parent


def start_server(url: str, port: int, workers: int = 1,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """uvicorn serving ``api.main:create_app`` on the database ``url``; returns once
    ``/healthz`` answers (exits the benchmark when it does not within 60 s)."""
    child_env = dict(os.environ, TELECOM_GIS_DATABASE_URL=url, **(env or {}))
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--http", HTTP_PROTOCOL,
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=child_env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")
