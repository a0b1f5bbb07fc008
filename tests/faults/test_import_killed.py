"""``kill -9`` of an import half-way leaves nothing of it in the database.

The import runs as a real ``telecom-gis import`` child process on a committed copy of the demo
database; once PostgreSQL shows it streaming rows (its ``COPY``), the process is killed with
SIGKILL, with no chance to clean up. The server then aborts the import's one transaction: every
table is as before (checksum of all rows), and nothing is left locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from gis.db import make_engine
from gis.sample.generate import generate_sample
from tests.db_checksum import database_checksum

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "telecom-gis-killed-import"


@pytest.fixture(scope="module", params=[20_000, 60_000], ids=["rows", "bulk"])
def big_file(request, tmp_path_factory) -> Path:
    """A GeoPackage of new segments: 20,000 take the row-by-row path (triggers per row),
    60,000 the bulk path (indexes and keys dropped and rebuilt inside the transaction)."""
    out = tmp_path_factory.mktemp("killed-import")
    generate_sample(out, segments=request.param, seed=7, fmt="gpkg")
    return out / "segments.gpkg"


def _import_backend(conn) -> tuple[int, str] | None:
    return conn.execute(text(
        "SELECT pid, query FROM pg_stat_activity WHERE application_name = :app"
        " AND state = 'active' AND query ILIKE 'COPY%'"), {"app": APP_NAME}).first()


def test_kill_9_half_way_leaves_the_database_as_it_was(live_database_url, big_file):
    engine = make_engine(live_database_url)
    try:
        before = database_checksum(engine)
        child = subprocess.Popen(
            [sys.executable, "-c", "from gis.cli import main; main()", "import", str(big_file),
             "--source", "killed-import", "--no-progress"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(os.environ, TELECOM_GIS_DATABASE_URL=live_database_url,
                     PGAPPNAME=APP_NAME))
        deadline = time.monotonic() + 120
        with engine.connect() as conn:
            conn.execute(text("SET application_name = 'killed-import-watch'"))
            backend = None
            while backend is None:
                assert child.poll() is None, (
                    "the import ended before it could be killed: "
                    + child.stdout.read().decode(errors="replace")[-2000:])
                assert time.monotonic() < deadline, "the import never started its COPY"
                backend = _import_backend(conn)
                conn.commit()
                if backend is None:
                    time.sleep(0.005)
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
            pid = backend[0]
            while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                               {"p": pid}).scalar():
                assert time.monotonic() < deadline, "the killed import's backend stayed"
                conn.commit()
                time.sleep(0.02)
            conn.commit()
            # Nothing left holding a lock from the import (its advisory lock included).
            assert not conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE a.application_name = :app"), {"app": APP_NAME}).scalar()
        assert database_checksum(engine) == before
    finally:
        engine.dispose()
