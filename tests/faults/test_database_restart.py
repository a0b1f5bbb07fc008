"""PostgreSQL restarted while the API is under load: requests fail fast with 503 and
``Retry-After`` while the server is away, and the API recovers by itself, with no restart of
its own (pooled connections are not pinged: the first use of a dead one fails its request,
and SQLAlchemy then discards every connection opened before).

The API runs in uvicorn on loopback against a private PostgreSQL cluster (tests/pgcluster.py),
which the test restarts with ``pg_ctl restart -m fast`` while eight clients keep reading."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.orm import Session

from api.main import create_app
from gis.db import make_engine
from gis.settings import Settings
from tests.factories import make_operator, make_segment, make_user
from tests.pgcluster import Cluster, new_cluster

pytestmark = pytest.mark.slow

CLIENTS = 8
#: Seconds of load before the restart, and after it.
BEFORE_S, AFTER_S = 1.5, 4.0
#: A request that takes longer has hung (the test fails): "fail fast" means far less.
CLIENT_TIMEOUT_S = 30


@dataclass
class Served:
    cluster: Cluster
    port: int
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    cluster = new_cluster()
    try:
        url = cluster.create_database("telecom_gis_restart")
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            make_segment(session, make_operator(session, "VNPT"))
            _, token = make_user(session, "inspector", username="thanh.tra")
        engine.dispose()
        settings = Settings(database_url=url, photo_dir=tmp_path_factory.mktemp("photos"))
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0,
                                               log_level="error", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        try:
            yield Served(cluster, server.servers[0].sockets[0].getsockname()[1], token)
        finally:
            server.should_exit = True
            thread.join(30)
    finally:
        cluster.remove()


@dataclass
class Answer:
    started: float
    seconds: float
    status: int
    retry_after: str | None
    problem_type: str | None


def _client(port: int, token: str, stop: threading.Event, answers: list[Answer]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT_S)
    path = "/segments/nearest?lon=106.335&lat=20.4501&radius_m=50"
    while not stop.is_set():
        started = time.monotonic()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        problem = json.loads(body).get("type") if response.status != 200 else None
        answers.append(Answer(started, time.monotonic() - started, response.status,
                              response.getheader("Retry-After"), problem))
    conn.close()


def test_restart_under_load_is_503_then_recovers_by_itself(served):
    answers: list[Answer] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        try:
            _client(served.port, served.token, stop, answers)
        except BaseException as exc:  # noqa: BLE001 - a dropped connection or a hang fails
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(BEFORE_S)
    restart_began = time.monotonic()
    served.cluster.restart("fast")
    restarted = time.monotonic()
    time.sleep(AFTER_S)
    stop.set()
    for thread in threads:
        thread.join(CLIENT_TIMEOUT_S + 5)

    assert not errors, f"{len(errors)} clients failed: {errors[0]!r}"
    statuses = {a.status for a in answers}
    assert statuses <= {200, 503}, statuses
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable, "no request noticed the restart"
    assert all(a.retry_after == "5" for a in unavailable)
    assert all(a.problem_type.endswith("/database-unavailable") for a in unavailable)
    assert all(a.started >= restart_began - 1 for a in unavailable), "503 before the restart"
    # Recovered by itself: every request in the last second succeeded.
    last_second = [a for a in answers if a.started >= restarted + AFTER_S - 1]
    assert last_second and all(a.status == 200 for a in last_second)
    first_ok = min(a.started + a.seconds for a in answers
                   if a.status == 200 and a.started >= restarted)
    sys.stderr.write(  # the figures, for `pytest -s`
        f"\n{len(answers)} requests, {len(unavailable)} answered 503 (slowest "
        f"{max(a.seconds for a in unavailable) * 1000:.0f} ms); restart took "
        f"{restarted - restart_began:.2f} s; first 200 {first_ok - restarted:.2f} s after it\n")
