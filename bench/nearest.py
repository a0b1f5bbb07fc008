"""Benchmark: the segments nearest a point, over HTTP and as the bare SQL query, on a loaded
database (e.g. the 1,000,000-segment province).

    .venv/bin/python bench/nearest.py [--database-url URL] [--token TOKEN] [--points 200]
        [--rounds 2] [--workers 1] [--seed N]

Starts ``uvicorn`` on loopback with the app on ``--database-url`` (default: the settings'
URL), then asks ``GET /segments/nearest?lon=&lat=`` for a fixed list of points (a seeded
random offset of up to 30 m from seeded random segments' midpoints: GPS fixes near cable),
one request at a time, and runs the same points through the bare SQL of
:func:`gis.queries.nearest.nearest_query` on a connection with the serving settings, the two
taking turns per point. Reports p50 / p95 / max in milliseconds for both (after one warm-up
pass) and writes bench/out/nearest.json.

Without ``--token`` the script creates the inspector ``bench.nearest`` (when missing) and
issues it a one-day token: the only writes it makes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fixed_requests  # noqa: E402
from bench.bare_sql import connect  # noqa: E402
from bench.http_timing import HttpClient, Impl, interleaved  # noqa: E402
from bench.run import OUT  # noqa: E402
from bench.server import start_server  # noqa: E402
from bench.visits import free_port  # noqa: E402
from gis.auth import create_user, issue_token  # noqa: E402
from gis.choices import Role  # noqa: E402
from gis.db import make_engine, transaction  # noqa: E402
from gis.models import User  # noqa: E402
from gis.queries.nearest import DEFAULT_LIMIT, DEFAULT_RADIUS_M, nearest_query  # noqa: E402
from gis.settings import get_settings  # noqa: E402

USERNAME = "bench.nearest"


def bench_token(url: str) -> str:
    """A one-day token of the inspector :data:`USERNAME`, created when missing."""
    engine = make_engine(url)
    with transaction(engine, actor="bench") as session:
        if session.scalar(select(User.id).where(User.username == USERNAME)) is None:
            create_user(session, USERNAME, "Nearest benchmark", Role.INSPECTOR)
        token, _ = issue_token(session, USERNAME, 1, "bench/nearest.py")
    engine.dispose()
    return token


def sql_call(url: str):
    """A callable (own connection) answering a point with the rows of the bare query."""
    conn = connect(url)

    def call(point: tuple[float, float]) -> list:
        sql, params = nearest_query(*point, DEFAULT_RADIUS_M, DEFAULT_LIMIT)
        return conn.execute(_pyformat(sql), params).fetchall()

    return call


def _pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (``::type`` casts are left alone)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


def http_call(port: int, token: str):
    """A callable (own keep-alive connection) answering a point over HTTP."""
    client = HttpClient(port, {"Authorization": f"Bearer {token}"})
    return lambda point: client.get("/segments/nearest?" + urlencode(
        {"lon": point[0], "lat": point[1]}))


def _http_found(body: bytes) -> int:
    return len(json.loads(body)["items"])


def measure(url: str, port: int, token: str, points: list[tuple[float, float]],
            rounds: int) -> dict:
    """Warm both up on every point, then time ``rounds`` passes (interleaved per point)."""
    impls = [Impl("http", lambda: http_call(port, token), _http_found),
             Impl("bare SQL", lambda: sql_call(url), len)]
    interleaved(impls, points)  # warm-up: pool connections, plans, caches
    figures = interleaved(impls, points * rounds)
    found = figures["http"].pop("features")
    figures["bare SQL"].pop("features")
    figures["http"]["with_a_segment"] = sum(1 for n in found if n)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: the settings' URL")
    parser.add_argument("--token", default=os.environ.get("BENCH_NEAREST_TOKEN"),
                        help="an API token (default: $BENCH_NEAREST_TOKEN, else one is issued)")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the points")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    url = args.database_url or get_settings().database_url
    token = args.token or bench_token(url)
    with connect(url) as conn:
        points = fixed_requests.near(
            fixed_requests.segment_midpoints(conn, args.points, args.seed), args.seed)
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        figures = measure(url, port, token, points, args.rounds)
    finally:
        server.terminate()
        server.wait(10)
    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "points": len(points), "rounds": args.rounds, "workers": args.workers, **figures,
    }
    print(json.dumps(results, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "nearest.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
