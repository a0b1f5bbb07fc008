"""Benchmark: visit recording over HTTP with concurrent inspectors, on the sample province.

    .venv/bin/python bench/visits.py [--clients 16] [--visits 40] [--workers 1] [--warm-up 5]
        [--database-url URL]

Creates a throwaway database from the PostGIS template, loads the committed demo (3,000
segments and its inspection history), starts ``uvicorn`` on loopback with the app, then
``--clients`` threads each POST ``--visits`` visits (``/inspections``, a fresh Idempotency-Key
each, one result per applicable checklist item, about 3 % failing so violations are written too)
over keep-alive connections. Reports latency p50 / p95 / p99 / max in milliseconds, throughput
and errors; writes bench/out/visits-<clients>.json. The database is dropped afterwards.

Before the timed run the same number of clients each record ``--warm-up`` visits: a server
that has run a while has a connection per concurrent request in its pool, and each new
PostgreSQL backend's first statements cost tens of milliseconds (catalogue caches, plans).

``--database-url`` runs on an existing database instead (its segments, e.g. the
1,000,000-segment province): the inspector ``bench.inspector`` is created there when missing,
and the visits stay.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import platform
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import OUT, fresh_database  # noqa: E402
from bench.server import start_server  # noqa: E402
from gis.auth import create_user, issue_token  # noqa: E402
from gis.choices import Role  # noqa: E402
from gis.compliance.catalogue import items_for, version_in_force  # noqa: E402
from gis.db import make_engine, transaction  # noqa: E402
from gis.models import User  # noqa: E402
from gis.sample import demo_directory  # noqa: E402
from gis.sample.load import load_sample  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: The inspector the benchmark records visits as.
INSPECTOR = "bench.inspector"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, load_demo: bool = True) -> tuple[str, list[tuple[int, list[str]]]]:
    """Load the demo (unless ``load_demo`` is false), make the inspector ``bench.inspector``
    (when missing) with a token; return the token and, per active segment (at most 10,000,
    seeded random), its id and the checklist item codes that apply to it."""
    engine = make_engine(url)
    with transaction(engine, actor="bench") as session:
        if load_demo:
            load_sample(session, demo_directory())
        if session.scalar(select(User.id).where(User.username == INSPECTOR)) is None:
            create_user(session, INSPECTOR, "Bench Inspector", Role.INSPECTOR)
        token, _ = issue_token(session, INSPECTOR, 1)
        version = version_in_force(session, datetime.now(UTC).date())
        codes = {p: [i.code for i in items_for(version, p)] for p in ("overhead", "underground")}
        rows = session.execute(text(
            "SELECT id, placement FROM cable_segments WHERE lifecycle = 'active'"
            " ORDER BY md5(id::text) LIMIT 10000"
        )).all()
        if load_demo:
            session.execute(text("ANALYZE"))
    engine.dispose()
    return token, [(sid, codes[placement]) for sid, placement in rows]


def visit_body(segment: tuple[int, list[str]], rng: random.Random) -> bytes:
    segment_id, codes = segment
    visited = datetime.now(UTC) - timedelta(minutes=1)
    results = [{"item": code, "result": "fail" if rng.random() < 0.03 else "pass"}
               for code in codes]
    return json.dumps({"segment_id": segment_id, "visited_at": visited.isoformat(),
                       "results": results}).encode()


def client(port: int, token: str, segments: list, count: int, seed: int,
           latencies: list[float], errors: list[str], barrier: threading.Barrier) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    for _ in range(count):
        body = visit_body(rng.choice(segments), rng)
        # The bodies are seeded; the keys are fresh each run, so a rerun on a kept database
        # (--database-url) records new visits instead of replaying the last run's keys.
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Idempotency-Key": str(uuid.uuid4())}
        started = time.perf_counter()
        conn.request("POST", "/inspections", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 201:
            errors.append(f"{response.status} {payload[:200]!r}")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def concurrent(port: int, token: str, segments: list, clients: int, per_client: int,
               seed: int = 1) -> tuple[list[float], list[str], float]:
    """``clients`` inspectors POST ``per_client`` visits each, all starting together; the
    latencies (ms), errors and seconds."""
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients)
    gc.collect()
    gc.freeze()  # the client's own full collections (~75 ms here) are not the server's time
    threads = [threading.Thread(target=client, args=(port, token, segments, per_client,
                                                     seed + n, latencies, errors, barrier))
               for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--visits", type=int, default=40, help="visits per client")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--warm-up", type=int, default=5,
                        help="visits per client before the timed run (same concurrency)")
    parser.add_argument("--database-url", default=None,
                        help="an existing database to record on (default: a throwaway demo)")
    args = parser.parse_args()

    if args.database_url:
        url, drop = args.database_url, (lambda: None)
    else:
        url, drop = fresh_database()
    server = None
    try:
        token, segments = prepare(url, load_demo=not args.database_url)
        port = free_port()
        server = start_server(url, port, args.workers,
                              env={"TELECOM_GIS_PHOTO_DIR": str(OUT / "photos")})
        _, warm_err, _ = concurrent(port, token, segments, args.clients, args.warm_up,
                                    seed=10_000)
        latencies, errors, seconds = concurrent(port, token, segments, args.clients,
                                                args.visits)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        drop()

    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "clients": args.clients, "workers": args.workers, "warm_up": args.warm_up,
        "requests": len(latencies),
        "errors": len(errors) + len(warm_err), "seconds": round(seconds, 2),
        "visits_per_second": round(len(latencies) / seconds, 1),
        "latency_ms": {name: round(value, 1) for name, value in (
            ("p50", statistics.median(latencies)), ("p95", percentile(latencies, 95)),
            ("p99", percentile(latencies, 99)), ("max", max(latencies)))},
    }
    for line in (errors + warm_err)[:5]:
        print("error:", line)
    print(json.dumps(results, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"visits-{args.clients}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {target}")
    return 1 if errors or warm_err else 0


if __name__ == "__main__":
    sys.exit(main())
