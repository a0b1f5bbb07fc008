"""Retry-safe submission: the same key replays, another body conflicts, two concurrent
requests with one key record one visit, and a failure part-way leaves nothing (real commits)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.compliance import visit_violations, visits
from gis.models import Inspection, InspectionResult, Violation
from tests.factories import bearer, make_operator, make_segment, make_user
from tests.visit_samples import body_for


@pytest.fixture
def data(session):
    """A VNPT segment and two inspectors (in the test's rolled-back transaction)."""
    vnpt = make_operator(session, "VNPT")
    segment = make_segment(session, vnpt)
    _, token = make_user(session, "inspector", username="thanh.tra")
    _, other = make_user(session, "inspector", username="dong.nghiep")
    return session, segment, token, other


def _headers(token: str, key: uuid.UUID) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": str(key)}


def test_same_key_same_body_replays_the_original(client, data):
    """One visit; the retry gets the same body with Idempotency-Replayed: true."""
    session, segment, token, _ = data
    key = uuid.uuid4()
    body = body_for(session, segment_id=segment.id, overrides={"C3": "fail"})
    first = client.post("/inspections", json=body, headers=_headers(token, key))
    # The same visit, written differently: results reordered, time in UTC.
    retry_body = {**body, "results": body["results"][::-1],
                  "visited_at": "2024-05-02T02:30:00Z"}
    retry = client.post("/inspections", json=retry_body, headers=_headers(token, key))
    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert retry.json() == first.json()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 1
    assert session.scalar(select(func.count()).select_from(Violation)) == 1


def test_same_key_other_body_or_user_is_409(client, data):
    """The key is bound to its first body and user."""
    session, segment, token, other = data
    key = uuid.uuid4()
    body = body_for(session, segment_id=segment.id)
    assert client.post("/inspections", json=body, headers=_headers(token, key)).status_code == 201
    changed = client.post("/inspections", json={**body, "note": "changed"},
                          headers=_headers(token, key))
    assert changed.status_code == 409
    problem = changed.json()
    assert problem["type"].endswith("/idempotency-key-reused")
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"
    stolen = client.post("/inspections", json=body, headers=_headers(other, key))
    assert stolen.status_code == 409
    assert session.scalar(select(func.count()).select_from(Inspection)) == 1


@pytest.fixture
def committed_data(committed_engine):
    """Committed rows: a segment and an inspector token (emptied by committed_engine)."""
    with Session(committed_engine) as session, session.begin():
        vnpt = make_operator(session, "VNPT")
        segment_id = make_segment(session, vnpt).id
        _, token = make_user(session, "inspector", username="thanh.tra")
        body = body_for(session, segment_id=segment_id, overrides={"C4": "fail"})
    return body, token


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_two_concurrent_submissions_with_one_key_record_one_visit(
        committed_engine, committed_client, committed_data, monkeypatch):
    """Both requests reach the key lock together (a barrier inside the request); one records,
    the other waits for its commit and replays it."""
    body, token = committed_data
    key = uuid.uuid4()
    barrier = threading.Barrier(2, timeout=30)
    original_lock = visits.lock_idempotency_key

    def lock_together(session, idempotency_key):
        barrier.wait()  # both transactions are open and about to take the lock
        return original_lock(session, idempotency_key)

    monkeypatch.setattr(visits, "lock_idempotency_key", lock_together)
    responses = [None, None]

    def submit(index: int) -> None:
        responses[index] = committed_client.post("/inspections", json=body,
                                                 headers=_headers(token, key))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    replayed = sorted(r.headers.get("idempotency-replayed", "no") for r in responses)
    assert replayed == ["no", "true"]
    assert _count(committed_engine, Inspection) == 1
    assert _count(committed_engine, Violation) == 1


def test_failure_after_the_first_rows_leaves_nothing(
        committed_engine, committed_client, committed_data, monkeypatch):
    """Visit, results and violation are written, then the request fails: nothing is
    committed, and the same key then records the visit normally."""
    body, token = committed_data
    key = uuid.uuid4()

    write_visit = visits.write_visit

    def write_then_fail(*args, **kwargs):
        write_visit(*args, **kwargs)
        raise RuntimeError("simulated failure after the visit rows were written")

    monkeypatch.setattr(visits, "write_visit", write_then_fail)
    response = committed_client.post("/inspections", json=body, headers=_headers(token, key))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert [_count(committed_engine, m) for m in (Inspection, InspectionResult, Violation)] == [
        0, 0, 0]
    monkeypatch.undo()
    retry = committed_client.post("/inspections", json=body, headers=_headers(token, key))
    assert retry.status_code == 201 and "idempotency-replayed" not in retry.headers
    assert [_count(committed_engine, m) for m in (Inspection, InspectionResult, Violation)] == [
        1, 12, 1]


def _waiting_for_segment(engine, segment_id: int) -> int:
    """Transactions waiting for the derivation lock of ``segment_id``."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid = :cls AND objid = :key AND objsubid = 2"),
            {"cls": visit_violations.SEGMENT_LOCK_CLASS, "key": segment_id}).scalar_one()


def test_two_concurrent_corrections_of_one_visit(
        committed_engine, committed_client, committed_data):
    """Two corrections of one visit submitted together: one is recorded, the other is a 409
    naming body.corrects.inspection_id (not a bare UNIQUE violation of corrects_id).

    The test holds the segment's derivation lock until both requests wait for it, so both
    have read the segment before either checks the correction."""
    body, token = committed_data
    first = committed_client.post("/inspections", json=body, headers=_headers(token, uuid.uuid4()))
    assert first.status_code == 201, first.text
    segment_id = body["segment_id"]
    lock = {"cls": visit_violations.SEGMENT_LOCK_CLASS, "key": segment_id}
    holder = committed_engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:cls, :key)"), lock)
    responses = [None, None]

    def submit(index: int) -> None:
        correction = {**body, "note": f"correction {index}",
                      "corrects": {"inspection_id": first.json()["id"], "reason": "C4 nhầm"}}
        responses[index] = committed_client.post("/inspections", json=correction,
                                                 headers=_headers(token, uuid.uuid4()))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_for_segment(committed_engine, segment_id) < 2:
            assert time.monotonic() < deadline, "the requests did not wait for the segment lock"
            time.sleep(0.05)
    finally:
        holder.execute(text("SELECT pg_advisory_unlock(:cls, :key)"), lock)
        holder.close()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["errors"][0]["field"] == "body.corrects.inspection_id"
    assert "already corrected" in refused["errors"][0]["detail"]
    assert _count(committed_engine, Inspection) == 2
