"""Load: 50 inspectors recording visits with photos and 20 map viewers reading tiles and OGC
items, for 60 s, against the API served as it is deployed (``telecom-gis serve``, its own
process) on a copy of the demo province: no error at all, every endpoint's p95 reported, and
the API's memory flat over the run (it may warm up in the first 20 s, not grow after).

The clients are threads on keep-alive connections (the load generator of bench/visits.py,
extended), each working as fast as the API answers."""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.auth import create_user, issue_token
from gis.choices import Role
from gis.db import make_engine
from tests.pgcluster import free_port
from tests.photo_samples import jpeg
from tests.visit_samples import body_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INSPECTORS, VIEWERS = 50, 20
SECONDS = 60.0
#: The API may grow while it warms up (pools, caches); after this many seconds, not much more.
WARM_UP_S = 20.0
#: Most the resident memory may grow between the end of the warm-up and the end of the run.
GROWTH_LIMIT = 0.10
PHOTO = jpeg()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"pole.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def call(self, conn: http.client.HTTPConnection, endpoint: str, method: str, path: str,
             token: str, body: bytes | None = None, content_type: str | None = None,
             extra: dict | None = None, ok: tuple[int, ...] = (200,)) -> bytes:
        headers = {"Authorization": f"Bearer {token}", **(extra or {})}
        if content_type:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[endpoint].append(elapsed)
            if response.status not in ok:
                self.errors.append(f"{method} {path} -> {response.status} {payload[:200]!r}")
        return payload


def _inspector(port, token, bodies, recorder, stop, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        body = json.dumps(rng.choice(bodies)).encode()
        answer = recorder.call(conn, "POST /inspections", "POST", "/inspections", token, body,
                               "application/json", {"Idempotency-Key": str(uuid.uuid4())},
                               ok=(201,))
        visit = json.loads(answer).get("id")
        if visit is not None and not stop.is_set():
            photo, content_type = _multipart(PHOTO)
            recorder.call(conn, "PUT /inspections/{id}/photos/{slot}", "PUT",
                          f"/inspections/{visit}/photos/1", token, photo, content_type,
                          ok=(200, 201))
    conn.close()


def _viewer(port, token, tiles, boxes, recorder, stop, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        z, x, y = rng.choice(tiles)
        recorder.call(conn, "GET /tiles/{z}/{x}/{y}.pbf", "GET", f"/tiles/{z}/{x}/{y}.pbf",
                      token, ok=(200, 204))
        box = ",".join(f"{v:.5f}" for v in rng.choice(boxes))
        recorder.call(conn, "GET /ogc/collections/segments/items", "GET",
                      f"/ogc/collections/segments/items?bbox={box}&limit=500", token)
    conn.close()


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    import math
    n = 2 ** z
    return (z, int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def test_50_inspectors_and_20_viewers_for_60_s(live_database_url, tmp_path):
    engine = make_engine(live_database_url)
    with Session(engine) as session, session.begin():
        tokens = []
        for n in range(INSPECTORS):
            create_user(session, f"load.inspector{n}", f"Load Inspector {n}", Role.INSPECTOR)
            tokens.append(issue_token(session, f"load.inspector{n}", 1)[0])
        create_user(session, "load.viewer", "Load Viewer", Role.PLANNER)
        viewer_token = issue_token(session, "load.viewer", 1)[0]
        rows = session.execute(text(
            "SELECT id, placement, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
            " FROM cable_segments WHERE lifecycle = 'active' ORDER BY id")).all()
        bodies = [body_for(session, placement, segment_id=sid, photos=1)
                  for sid, placement, _, _ in rows[::10]]
    engine.dispose()
    points = [(lon, lat) for _, _, lon, lat in rows[::7]]
    tiles = sorted({_tile(lon, lat, z) for lon, lat in points for z in (14, 15, 16)})
    boxes = [(lon - 0.0025, lat - 0.0025, lon + 0.0025, lat + 0.0025) for lon, lat in points]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from gis.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT, env=dict(os.environ, TELECOM_GIS_DATABASE_URL=live_database_url,
                           TELECOM_GIS_PHOTO_DIR=str(tmp_path / "photos")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the API did not start"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        recorder, stop = Recorder(), threading.Event()
        threads = [threading.Thread(target=_inspector, args=(port, tokens[n], bodies, recorder,
                                                             stop, n)) for n in range(INSPECTORS)]
        threads += [threading.Thread(target=_viewer, args=(port, viewer_token, tiles, boxes,
                                                           recorder, stop, 1000 + n))
                    for n in range(VIEWERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        memory: list[tuple[float, float]] = []
        while (now := time.monotonic() - started) < SECONDS:
            memory.append((now, _rss_mib(server.pid)))
            time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(90)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        final_rss = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)

    assert not recorder.errors, f"{len(recorder.errors)} errors, first: {recorder.errors[0]}"
    report = []
    for endpoint, values in sorted(recorder.latencies.items()):
        values.sort()
        report.append(f"{endpoint}: {len(values)} requests, p50 {statistics.median(values):.0f}"
                      f" ms, p95 {values[int(0.95 * (len(values) - 1))]:.0f} ms")
    assert len(recorder.latencies) == 4 and all(len(v) > 10 for v in recorder.latencies.values())
    warmed = max(rss for t, rss in memory if t <= WARM_UP_S)
    peak_after = max([rss for t, rss in memory if t > WARM_UP_S] + [final_rss])
    sys.stderr.write("\n" + "\n".join(report) + f"\nAPI RSS: {memory[0][1]:.0f} MiB at start, "
                     f"{warmed:.0f} MiB after {WARM_UP_S:.0f} s, {peak_after:.0f} MiB peak "
                     f"after, {final_rss:.0f} MiB at the end\n")
    assert peak_after <= warmed * (1 + GROWTH_LIMIT), (
        f"the API grew from {warmed:.0f} MiB to {peak_after:.0f} MiB after warming up")
