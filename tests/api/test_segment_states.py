"""Editing a segment's state with If-Match: the version seen is required (428 without), a
stale one is 412 and writes nothing, and of two concurrent edits from one version exactly one
lands (the other is 412): never a lost update."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis import segment_edits
from gis.models import SegmentState
from tests.db_checksum import database_checksum
from tests.factories import bearer, make_operator, make_segment, make_user

EDIT = {"effective_on": "2026-01-15", "placement": "underground", "note": "seen in the duct"}


@pytest.fixture
def world(session):
    vnpt = make_operator(session, "VNPT")
    segment = make_segment(session, vnpt)
    _, inspector = make_user(session, "inspector", username="thanh.tra")
    _, planner = make_user(session, "planner", username="quy.hoach")
    _, operator = make_user(session, "operator", operator=vnpt, username="vnpt.user")
    return segment, inspector, planner, operator


def _version(client, segment_id: int, token: str) -> str:
    response = client.get(f"/segments/{segment_id}", headers=bearer(token))
    assert response.status_code == 200
    return response.headers["etag"]


def _states(session, segment_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SegmentState)
                          .where(SegmentState.segment_id == segment_id))


def test_an_edit_from_the_current_version_lands_and_changes_the_version(client, world, session):
    segment, inspector, _, _ = world
    seen = _version(client, segment.id, inspector)
    response = client.post(f"/segments/{segment.id}/states", json=EDIT,
                           headers={**bearer(inspector), "If-Match": seen})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["effective_date"] == "2026-01-15"
    assert (body["placement"], body["placement_kind"]) == ("underground", "duct")
    assert body["source"] == segment_edits.SOURCE and body["note"] == "seen in the duct"
    assert response.headers["etag"] != seen
    assert response.headers["etag"] == _version(client, segment.id, inspector)
    detail = client.get(f"/segments/{segment.id}", headers=bearer(inspector)).json()
    assert detail["properties"]["placement"] == "underground"
    assert _states(session, segment.id) == 2  # the first state, and the edit


def test_without_if_match_it_is_428_and_nothing_is_written(client, world, session):
    segment, inspector, _, _ = world
    before = database_checksum(session.connection())
    response = client.post(f"/segments/{segment.id}/states", json=EDIT, headers=bearer(inspector))
    assert response.status_code == 428
    assert response.json()["errors"][0]["field"] == "header.If-Match"
    assert database_checksum(session.connection()) == before


def test_a_stale_version_is_412_with_the_current_etag(client, world, session):
    segment, inspector, _, _ = world
    seen = _version(client, segment.id, inspector)
    first = client.post(f"/segments/{segment.id}/states", json=EDIT,
                        headers={**bearer(inspector), "If-Match": seen})
    assert first.status_code == 201
    before = database_checksum(session.connection())
    second = client.post(f"/segments/{segment.id}/states",
                         json={**EDIT, "placement": "overhead", "note": "no, still overhead"},
                         headers={**bearer(inspector), "If-Match": seen})
    assert second.status_code == 412
    assert second.json()["type"].endswith("/precondition-failed")
    assert second.headers["etag"] == first.headers["etag"]
    assert database_checksum(session.connection()) == before
    weak = client.post(f"/segments/{segment.id}/states", json=EDIT,
                       headers={**bearer(inspector), "If-Match": "W/" + first.headers["etag"]})
    assert weak.status_code == 412  # If-Match compares strongly


@pytest.mark.parametrize("role", ["planner", "operator"])
def test_only_inspectors_and_admins_edit(client, world, role):
    segment, inspector, planner, operator = world
    token = planner if role == "planner" else operator
    seen = _version(client, segment.id, inspector)
    response = client.post(f"/segments/{segment.id}/states", json=EDIT,
                           headers={**bearer(token), "If-Match": seen})
    assert response.status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"effective_on": "2999-01-01"}, "body.effective_on"),
    ({"effective_on": "2010-01-01"}, "body.effective_on"),
    ({"placement": "underground", "placement_kind": "aerial"}, "body.placement_kind"),
])
def test_bad_edits_name_the_field(client, world, session, change, field):
    segment, inspector, _, _ = world
    seen = _version(client, segment.id, inspector)
    before = database_checksum(session.connection())
    response = client.post(f"/segments/{segment.id}/states", json={**EDIT, **change},
                           headers={**bearer(inspector), "If-Match": seen})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert database_checksum(session.connection()) == before


def test_two_concurrent_edits_from_one_version_one_lands_one_412(
        committed_engine, committed_client, monkeypatch):
    """Both requests hold their transaction open at the segment's row lock together (a
    barrier just before it); the second waits for the first's commit, then sees the new
    version and is refused. The history gets exactly one new row."""
    with Session(committed_engine) as session, session.begin():
        segment_id = make_segment(session, make_operator(session, "VNPT")).id
        _, token = make_user(session, "inspector", username="thanh.tra")
    seen = _version(committed_client, segment_id, token)
    with Session(committed_engine) as session:
        states_before = _states(session, segment_id)
    barrier = threading.Barrier(2, timeout=30)
    original_lock = segment_edits._lock

    def lock_together(session, sid):
        barrier.wait()
        return original_lock(session, sid)

    monkeypatch.setattr(segment_edits, "_lock", lock_together)
    answers = [None, None]
    bodies = [{**EDIT, "note": "inspector A"}, {**EDIT, "tidied": True, "placement": None,
                                                  "note": "inspector B"}]

    def submit(i: int) -> None:
        answers[i] = committed_client.post(f"/segments/{segment_id}/states", json=bodies[i],
                                           headers={**bearer(token), "If-Match": seen})

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [201, 412], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 201)
    loser = next(a for a in answers if a.status_code == 412)
    assert loser.headers["etag"] == winner.headers["etag"]
    with Session(committed_engine) as session:
        assert _states(session, segment_id) == states_before + 1
        note = session.scalar(select(SegmentState.note).where(
            SegmentState.segment_id == segment_id, SegmentState.source == segment_edits.SOURCE))
    assert note == winner.json()["note"]
    assert date.fromisoformat(winner.json()["effective_date"]) == date(2026, 1, 15)


def test_edits_are_audited_and_other_history_rows_are_not(client, world, session):
    """An edit's state row is in the audit log under its author; rows from imports or
    samples (any other source) are not, or an import would write one audit row per segment."""
    from gis.history import record_state_change
    from gis.models import AuditEntry

    segment, inspector, _, _ = world
    seen = _version(client, segment.id, inspector)
    assert client.post(f"/segments/{segment.id}/states", json=EDIT,
                       headers={**bearer(inspector), "If-Match": seen}).status_code == 201
    record_state_change(session, segment.id, effective_date=date(2026, 2, 1),
                        source="import:test", tidied=True)
    audited = session.execute(select(AuditEntry.actor, AuditEntry.after["source"].astext)
                              .where(AuditEntry.table_name == "segment_states")).all()
    assert audited == [("user:thanh.tra", segment_edits.SOURCE)]


def test_an_edit_committed_while_the_segment_is_read_is_never_overwritten(
        committed_engine, committed_client, monkeypatch):
    """Another inspector's edit commits just after this GET has read the segment's body: the
    ETag this GET gives must not let an edit through over that change (412, not 201)."""
    from api.routers import segments as segments_router

    with Session(committed_engine) as session, session.begin():
        segment_id = make_segment(session, make_operator(session, "VNPT")).id
        _, mine = make_user(session, "inspector", username="thanh.tra")
        _, theirs = make_user(session, "inspector", username="dong.nghiep")
    first = committed_client.get(f"/segments/{segment_id}", headers=bearer(theirs))
    read_body = segments_router.segments.get_segment

    def read_then_other_edit(*args, **kwargs):
        body = read_body(*args, **kwargs)
        other = committed_client.post(f"/segments/{segment_id}/states", json=EDIT, headers={
            **bearer(theirs), "If-Match": first.headers["etag"]})
        assert other.status_code == 201
        return body

    monkeypatch.setattr(segments_router.segments, "get_segment", read_then_other_edit)
    seen = committed_client.get(f"/segments/{segment_id}", headers=bearer(mine))
    monkeypatch.setattr(segments_router.segments, "get_segment", read_body)
    assert seen.json()["properties"]["placement"] == "overhead"  # the body predates the edit
    mine_edit = committed_client.post(
        f"/segments/{segment_id}/states", json={**EDIT, "placement": "overhead",
                                                "tidied": True, "note": "tidied, overhead"},
        headers={**bearer(mine), "If-Match": seen.headers["etag"]})
    assert mine_edit.status_code == 412
