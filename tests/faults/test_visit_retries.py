"""A client retrying one visit ten times in parallel (a phone on a bad network resending the
same submission) records one visit: nine answers replay it, none fails, nothing doubles.

Over real HTTP against the live server (uvicorn on loopback, its own copy of the demo
database); a barrier inside the server holds all ten transactions until each has signed in
and reached the idempotency-key lock, so the ten really overlap."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compliance import visits
from tests.db_checksum import database_checksum
from tests.visit_samples import body_for

pytestmark = pytest.mark.slow

RETRIES = 10
INSPECTOR = "thanhtra.an"


def _post(base: str, token: str, key: uuid.UUID, body: dict) -> tuple[int, dict, dict]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("POST", "/inspections", body=json.dumps(body), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Idempotency-Key": str(key)})
    response = conn.getresponse()
    payload = json.loads(response.read())
    headers = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return response.status, headers, payload


def test_ten_parallel_retries_of_one_visit_record_one(live_server, monkeypatch):
    with Session(live_server.engine) as session:
        segment_id = session.scalar(text(
            "SELECT id FROM cable_segments WHERE lifecycle = 'active' AND placement = 'overhead'"
            " ORDER BY id LIMIT 1"))
        body = body_for(session, segment_id=segment_id, overrides={"C3": "fail"})
    token = live_server.token(INSPECTOR)
    key = uuid.uuid4()
    before = database_checksum(live_server.engine)
    visits_before = live_server.scalar("SELECT count(*) FROM inspections")

    barrier = threading.Barrier(RETRIES, timeout=60)
    original_lock = visits.lock_idempotency_key

    def lock_together(session, idempotency_key):
        barrier.wait()  # all ten transactions are open, signed in, at the lock
        return original_lock(session, idempotency_key)

    monkeypatch.setattr(visits, "lock_idempotency_key", lock_together)
    answers: list = [None] * RETRIES

    def submit(index: int) -> None:
        answers[index] = _post(live_server.url, token, key, body)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert [status for status, _, _ in answers] == [201] * RETRIES, answers
    assert len({payload["id"] for _, _, payload in answers}) == 1
    replayed = sorted(headers.get("idempotency-replayed", "first") for _, headers, _ in answers)
    assert replayed == ["first"] + ["true"] * (RETRIES - 1)
    visit_id = answers[0][2]["id"]
    assert live_server.scalar("SELECT count(*) FROM inspections") == visits_before + 1
    assert live_server.scalar("SELECT count(*) FROM inspections WHERE idempotency_key = :k",
                              k=key) == 1
    # One visit's rows and nothing else: its results, the violations it opened or verified
    # closed, and their audit rows.
    after = database_checksum(live_server.engine)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"inspections", "inspection_results", "violations", "audit_log"}, changed
    assert live_server.scalar("SELECT count(*) FROM inspection_results WHERE inspection_id = :v",
                              v=visit_id) == len(body["results"])
    assert live_server.scalar("SELECT count(*) FROM violations WHERE inspection_id = :v",
                              v=visit_id) <= 1
