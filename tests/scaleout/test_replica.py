"""Scale-out on PostgreSQL streaming replication: the API (two uvicorn workers, started with
``telecom-gis serve --workers 2``) sends the lag-tolerant reads (OGC API, tiles, maps,
exports) to a hot-standby replica and every write to the primary.

A primary and a replica made with ``pg_basebackup`` run on loopback (tests/pgcluster.py).
With the replica's replay paused (a replica lagging as far as it can), reads show the network
as the replica has it, while visits recorded meanwhile all land on the primary; once replay
resumes the replica catches up and nothing is missing."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.db import make_engine
from gis.models import Operator
from tests.factories import make_operator, make_segment, make_user
from tests.pgcluster import Cluster, free_port, new_cluster, new_replica
from tests.visit_samples import body_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "telecom_gis_scale"
VISITS_WHILE_LAGGING = 5


@dataclass
class Deployment:
    primary: Cluster
    replica: Cluster
    port: int
    inspector: str
    vnpt_user: str
    segments: dict[str, int]

    def query(self, cluster: Cluster, sql: str, **params):
        engine = make_engine(cluster.url(DATABASE))
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def request(self, method: str, path: str, token: str, body: dict | None = None,
                headers: dict | None = None) -> tuple[int, dict | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, json.loads(payload) if payload else None


def _wait(condition, what: str, seconds: float = 60) -> float:
    """Poll ``condition`` until true; the seconds it took (fails after ``seconds``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"timed out waiting for {what}"
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    primary = new_cluster()
    replica = None
    server = None
    try:
        url = primary.create_database(DATABASE)
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            vnpt, viettel = make_operator(session, "VNPT"), make_operator(session, "VIETTEL")
            segments = {"vnpt": make_segment(session, vnpt).id,
                        "viettel": make_segment(session, viettel,
                                                [(106.33, 20.46), (106.3405, 20.46)]).id}
            _, inspector = make_user(session, "inspector", username="thanh.tra")
            _, vnpt_user = make_user(session, "operator", operator=vnpt, username="vnpt.user")
        engine.dispose()
        replica = new_replica(primary)
        port = free_port()
        env = dict(os.environ, TELECOM_GIS_DATABASE_URL=url,
                   TELECOM_GIS_READ_DATABASE_URL=replica.url(DATABASE),
                   TELECOM_GIS_PHOTO_DIR=str(tmp_path_factory.mktemp("photos")))
        server = subprocess.Popen(
            [sys.executable, "-c", "from gis.cli import main; main()", "serve",
             "--port", str(port), "--workers", "2"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deployment = Deployment(primary, replica, port, inspector, vnpt_user, segments)

        def answering() -> bool:
            assert server.poll() is None, server.stderr.read().decode(errors="replace")
            try:
                return deployment.request("GET", "/healthz", inspector)[0] == 200
            except OSError:
                return False

        _wait(answering, "the API to start")
        yield deployment
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if replica is not None:
            replica.remove()
        primary.remove()


def _ogc_item(deployment: Deployment, segment_id: int, token: str) -> int:
    return deployment.request("GET", f"/ogc/collections/segments/items/{segment_id}", token)[0]


def _exported_ids(deployment: Deployment, token: str) -> set[int]:
    status, body = deployment.request("GET", "/exports/segments.geojson", token)
    assert status == 200
    return {feature["id"] for feature in body["features"]}


def test_reads_come_from_the_replica_and_no_write_is_lost_while_it_lags(deployment):
    d = deployment
    assert d.query(d.replica, "SELECT pg_is_in_recovery()::int") == 1
    _wait(lambda: d.query(d.replica, "SELECT count(*) FROM cable_segments") == 2,
          "the replica to have the segments")

    d.query(d.replica, "SELECT pg_wal_replay_pause()")
    try:
        engine = make_engine(d.primary.url(DATABASE))
        with Session(engine) as session, session.begin():
            operator = session.execute(text("SELECT id FROM operators WHERE code = 'VNPT'")
                                       ).scalar()
            new_id = make_segment(session, session.get(Operator, operator),
                                  [(106.35, 20.45), (106.355, 20.45)]).id
            body = body_for(session, segment_id=d.segments["vnpt"])
        engine.dispose()
        # The reads are the replica's: the segment committed on the primary is not there yet,
        # neither through the OGC API nor in an export.
        assert _ogc_item(d, new_id, d.inspector) == 404
        assert _ogc_item(d, d.segments["vnpt"], d.inspector) == 200
        assert _exported_ids(d, d.inspector) == set(d.segments.values())
        # Writes go to the primary and all land while the replica lags.
        keys = [uuid.uuid4() for _ in range(VISITS_WHILE_LAGGING)]
        for key in keys:
            status, answer = d.request("POST", "/inspections", d.inspector, body,
                                       {"Idempotency-Key": str(key)})
            assert status == 201, answer
        count = "SELECT count(*) FROM inspections WHERE idempotency_key = ANY(CAST(:k AS uuid[]))"
        assert d.query(d.primary, count, k=[str(k) for k in keys]) == VISITS_WHILE_LAGGING
        assert d.query(d.replica, count, k=[str(k) for k in keys]) == 0
        # Operator isolation holds on the replica too (sign-in on the read connection).
        assert _ogc_item(d, d.segments["viettel"], d.vnpt_user) == 404
        assert _ogc_item(d, d.segments["vnpt"], d.vnpt_user) == 200
    finally:
        d.query(d.replica, "SELECT pg_wal_replay_resume()")
    caught_up = _wait(lambda: d.query(d.replica, count, k=[str(k) for k in keys])
                      == VISITS_WHILE_LAGGING, "the replica to catch up")
    assert _ogc_item(d, new_id, d.inspector) == 200
    assert _exported_ids(d, d.inspector) == {*d.segments.values(), new_id}
    sys.stderr.write(f"\nreplica caught up {caught_up * 1000:.0f} ms after replay resumed\n")


def test_replication_lag_while_visits_are_recorded(deployment):
    """How far behind the replica is, measured: from a visit's 201 to its row on the replica
    (20 visits, one at a time)."""
    d = deployment
    engine = make_engine(d.primary.url(DATABASE))
    with Session(engine) as session:
        body = body_for(session, segment_id=d.segments["viettel"])
    engine.dispose()
    replica = make_engine(d.replica.url(DATABASE))
    lags = []
    seen = "SELECT count(*) FROM inspections WHERE idempotency_key = :k"
    try:
        with replica.connect() as conn:
            for _ in range(20):
                key = uuid.uuid4()
                status, _ = d.request("POST", "/inspections", d.inspector, body,
                                      {"Idempotency-Key": str(key)})
                assert status == 201

                def visible(key: uuid.UUID = key) -> bool:
                    found = conn.execute(text(seen), {"k": key}).scalar()
                    conn.commit()
                    return found == 1

                lags.append(_wait(visible, "the visit on the replica", 30))
    finally:
        replica.dispose()
    lags.sort()
    assert len(lags) == 20
    sys.stderr.write(f"\nreplication lag over 20 visits: median {lags[10] * 1000:.1f} ms, "
                     f"max {lags[-1] * 1000:.1f} ms\n")
