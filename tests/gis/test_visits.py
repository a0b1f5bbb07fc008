"""Recording visits in PostGIS, without HTTP: idempotency, snapping, checklist validation,
derived violations, corrections, campaigns and atomicity."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gis.auth import ForbiddenError
from gis.choices import ItemResult
from gis.compliance import visits
from gis.compliance.campaigns import CampaignInput, create_campaign
from gis.compliance.catalogue import bundled_path, load_catalogue
from gis.compliance.visit_errors import (
    AmbiguousPositionError,
    InvalidVisitError,
    ReferenceNotFoundError,
    VisitConflictError,
)
from gis.compliance.visits import ResultInput, VisitInput, record_visit, visit_fingerprint
from gis.history import record_state_change
from gis.models import Inspection, InspectionResult, Violation
from gis.settings import Settings
from tests.factories import make_operator, make_segment, make_unit, make_user
from tests.visit_samples import ICT, VISITED_AT, principal_of, results_for, visit_input

NORTH = [(106.33, 20.4502), (106.3405, 20.4502)]  # parallel to the default segment, ~22 m north


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Default snapping (30 m radius, 3 m ambiguity); photos in a temporary directory."""
    return Settings(photo_dir=tmp_path)


@pytest.fixture
def world(session):
    """VNPT with one overhead segment since 2019, an inspector, an admin and a planner."""
    vnpt = make_operator(session, "VNPT")
    segment = make_segment(session, vnpt)
    inspector, _ = make_user(session, "inspector", username="thanh.tra")
    admin, _ = make_user(session, "admin", username="quan.tri")
    planner, _ = make_user(session, "planner", username="quy.hoach")
    return {"vnpt": vnpt, "segment": segment, "inspector": principal_of(inspector),
            "admin": principal_of(admin), "planner": principal_of(planner)}


def _issues(exc: InvalidVisitError) -> dict[str, str]:
    return {p.field: p.reason for p in exc.problems}


def _violations(session, segment_id):
    return session.scalars(
        select(Violation).where(Violation.segment_id == segment_id).order_by(Violation.id)).all()


def test_visit_by_id_records_results_and_opens_violation(session, world, settings):
    """A failed item opens a violation due remediation_days after the visit's local date."""
    seg = world["segment"]
    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam.
    visit = visit_input(session, segment_id=seg.id, overrides={"C3": ("fail", "12.5")},
                        visited_at=datetime.fromisoformat("2024-03-01T17:30:00+00:00"))
    outcome = record_visit(session, world["inspector"], visit, settings)
    inspection = outcome.inspection
    assert not outcome.replayed and outcome.closed == [] and outcome.withdrawn == []
    assert (inspection.segment_id, inspection.operator_id, inspection.placement) == (
        seg.id, world["vnpt"].id, "overhead")
    stored = session.scalars(select(InspectionResult).where(
        InspectionResult.inspection_id == inspection.id)).all()
    assert len(stored) == 12
    [violation] = _violations(session, seg.id)
    assert outcome.opened == [violation.id]
    assert violation.item.code == "C3" and violation.state == "open"
    assert violation.due_on == date(2024, 4, 1)  # 2 March (local) + 30 days
    assert violation.found_at == visit.visited_at


def test_fingerprint_is_canonical():
    """Order of results, time-zone spelling and 10 vs 10.0 do not change the fingerprint."""
    results = (ResultInput("C1", ItemResult.PASS), ResultInput("C3", ItemResult.PASS,
                                                                Decimal("10")))
    key = uuid.uuid4()
    base = VisitInput(key, VISITED_AT, results, segment_id=1)
    same = VisitInput(uuid.uuid4(), VISITED_AT.astimezone(ICT.utc),
                      (ResultInput("C3", ItemResult.PASS, Decimal("10.0")),
                       ResultInput("C1", ItemResult.PASS)), segment_id=1)
    assert visit_fingerprint(base) == visit_fingerprint(same)
    assert visit_fingerprint(base) != visit_fingerprint(replace(base, note="x"))
    assert visit_fingerprint(base) != visit_fingerprint(replace(base, segment_id=2))


def test_same_key_replays_and_other_body_conflicts(session, world, settings):
    """Same key + same body -> the original visit; another body or user -> conflict."""
    seg = world["segment"]
    visit = visit_input(session, segment_id=seg.id, overrides={"C4": "fail"})
    first = record_visit(session, world["inspector"], visit, settings)
    again = record_visit(session, world["inspector"], visit, settings)
    assert again.replayed and again.inspection.id == first.inspection.id
    assert again.opened == first.opened and len(first.opened) == 1
    assert session.scalar(select(func.count()).select_from(Inspection)) == 1
    with pytest.raises(VisitConflictError, match="different body") as exc:
        record_visit(session, world["inspector"], replace(visit, note="changed"), settings)
    assert exc.value.field == "idempotency_key"
    with pytest.raises(VisitConflictError, match="another user"):
        record_visit(session, world["admin"], visit, settings)


def test_only_inspectors_and_admins_record(session, world, settings):
    """A planner (or an operator) may not record visits."""
    visit = visit_input(session, segment_id=world["segment"].id)
    with pytest.raises(ForbiddenError):
        record_visit(session, world["planner"], visit, settings)
    assert record_visit(session, world["admin"], visit, settings).inspection.id


def test_pass_verifies_and_closes_violation(session, world, settings):
    """A later pass closes the open violation; not_checked and a second fail change nothing."""
    seg = world["segment"]
    first = record_visit(session, world["inspector"],
                         visit_input(session, segment_id=seg.id, overrides={"C4": "fail"}),
                         settings)
    later = VISITED_AT + timedelta(days=3)
    repeat = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides={"C4": "fail"}, visited_at=later), settings)
    assert repeat.opened == []
    unchecked = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides={"C4": "not_checked"}, visited_at=later), settings)
    assert unchecked.opened == unchecked.closed == []
    verify_at = VISITED_AT + timedelta(days=10)
    verify = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, visited_at=verify_at), settings)
    assert verify.closed == first.opened
    [violation] = _violations(session, seg.id)
    session.refresh(violation)
    assert (violation.state, violation.closed_at, violation.closed_by_inspection_id) == (
        "closed", verify_at, verify.inspection.id)


def test_correction_withdraws_and_derives_afresh(session, world, settings):
    """A correction withdraws what the corrected visit opened and opens its own."""
    seg = world["segment"]
    original = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides={"C4": "fail"}), settings)
    correction = visit_input(session, segment_id=seg.id, overrides={"C6": "fail"},
                             corrects_id=original.inspection.id,
                             correction_reason="C4 was ticked by mistake; C6 failed")
    fixed = record_visit(session, world["inspector"], correction, settings)
    assert fixed.withdrawn == original.opened and len(fixed.opened) == 1
    states = {v.item.code: v.state for v in _violations(session, seg.id)}
    assert states == {"C4": "withdrawn", "C6": "open"}
    assert fixed.inspection.corrects_id == original.inspection.id
    replayed = record_visit(session, world["inspector"], correction, settings)
    assert replayed.replayed and replayed.withdrawn == original.opened
    again = visit_input(session, segment_id=seg.id, corrects_id=original.inspection.id,
                        correction_reason="second try")
    with pytest.raises(VisitConflictError, match="already corrected by visit"):
        record_visit(session, world["inspector"], again, settings)


def test_correction_rules(session, world, settings):
    """Reason required; same segment only; unknown visit; another inspector's visit."""
    seg = world["segment"]
    other = make_segment(session, world["vnpt"], NORTH)
    original = record_visit(session, world["inspector"],
                            visit_input(session, segment_id=seg.id), settings)
    with pytest.raises(InvalidVisitError) as no_reason:
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=seg.id, corrects_id=original.inspection.id), settings)
    assert "correction_reason" in _issues(no_reason.value)
    with pytest.raises(VisitConflictError, match="same segment"):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=other.id, corrects_id=original.inspection.id,
            correction_reason="wrong pole"), settings)
    with pytest.raises(ReferenceNotFoundError) as unknown:
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=seg.id, corrects_id=999_999, correction_reason="x"), settings)
    assert unknown.value.field == "corrects_id"
    colleague, _ = make_user(session, "inspector", username="dong.nghiep")
    with pytest.raises(ForbiddenError):
        record_visit(session, principal_of(colleague), visit_input(
            session, segment_id=seg.id, corrects_id=original.inspection.id,
            correction_reason="not mine"), settings)


def test_snapping_exact_nearest_ambiguous_none(session, world, settings):
    """Exact hit, nearest of two, two at the same distance, nothing within the radius."""
    seg = world["segment"]
    north = make_segment(session, world["vnpt"], NORTH)
    exact = record_visit(session, world["inspector"], visit_input(
        session, lon=106.335, lat=20.45, accuracy_m=4.0), settings).inspection
    assert exact.segment_id == seg.id and exact.snapped_distance_m < 0.01
    assert exact.position_accuracy_m == 4.0
    near_north = record_visit(session, world["inspector"], visit_input(
        session, lon=106.335, lat=20.45017), settings).inspection
    assert near_north.segment_id == north.id
    assert near_north.snapped_distance_m == pytest.approx(3.3, abs=0.3)
    with pytest.raises(AmbiguousPositionError) as ambiguous:
        record_visit(session, world["inspector"], visit_input(
            session, lon=106.335, lat=20.4501), settings)
    assert sorted(sid for sid, _ in ambiguous.value.candidates) == sorted([seg.id, north.id])
    assert f"segment {seg.id} at 11." in str(ambiguous.value)
    with pytest.raises(InvalidVisitError, match="no active segment within 30 m") as none:
        record_visit(session, world["inspector"], visit_input(
            session, lon=106.335, lat=20.46), settings)
    assert "position" in _issues(none.value)
    wide = record_visit(session, world["inspector"], visit_input(
        session, lon=106.335, lat=20.4507, snap_radius_m=100), settings).inspection
    assert wide.segment_id == north.id


def test_snapping_ignores_removed_segments_and_checks_vietnam(session, world, settings):
    """A removed segment is not a candidate; positions outside Vietnam are refused."""
    record_state_change(session, world["segment"].id, effective_date=date(2023, 1, 1),
                        lifecycle="removed", source="test")
    with pytest.raises(InvalidVisitError, match="no active segment"):
        record_visit(session, world["inspector"], visit_input(
            session, lon=106.335, lat=20.45), settings)
    with pytest.raises(InvalidVisitError, match="swapped") as swapped:
        record_visit(session, world["inspector"], visit_input(
            session, lon=20.45, lat=106.335), settings)
    assert "position" in _issues(swapped.value)
    with pytest.raises(InvalidVisitError, match="removed") as removed:
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=world["segment"].id), settings)
    assert "segment_id" in _issues(removed.value)


def test_results_must_match_the_checklist(session, world, settings):
    """Missing, unknown, duplicate, inapplicable, contradicting and unit-less measurements."""
    seg = world["segment"]
    results = list(results_for(session, "overhead"))
    results.pop(0)  # C1 missing
    results[0] = ResultInput("C99", ItemResult.PASS)  # unknown (and so C2 missing)
    results.append(ResultInput("C4", ItemResult.PASS))  # duplicate
    results.append(ResultInput("C11", ItemResult.PASS))  # underground only
    results[1] = ResultInput("C3", ItemResult.PASS, Decimal("12"))  # 12 m slack, max 10
    results[2] = ResultInput("C4", ItemResult.FAIL, Decimal("1"))  # C4 measures nothing
    visit = visit_input(session, segment_id=seg.id, results=tuple(results))
    with pytest.raises(InvalidVisitError) as exc:
        record_visit(session, world["inspector"], visit, settings)
    issues = exc.value.problems
    by_field = {p.field: p.reason for p in issues}
    assert "unknown checklist item 'C99'" in by_field["results[0].item"]
    assert "'pass' contradicts the measured 12 m" in by_field["results[1].result"]
    assert "C4 has nothing to measure" in by_field["results[2].measured_value"]
    assert "C4 is given twice (first at results[2])" in by_field[f"results[{len(results) - 2}]"
                                                                  ".item"]
    assert "C11 does not apply to overhead" in by_field[f"results[{len(results) - 1}].item"]
    missing = sorted(p.reason.split()[3] for p in issues if p.field == "results")
    assert missing == ["C1", "C2"]
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_measured_value_agrees_with_result(session, world, settings):
    """'fail' within the limit is refused; 'fail' over it and 'pass' within it are fine."""
    seg = world["segment"]
    with pytest.raises(InvalidVisitError, match="'fail' contradicts"):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=seg.id, overrides={"C7": ("fail", "6.0")}), settings)
    ok = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides={"C7": ("fail", "5.2"), "C3": ("pass", "10")}),
        settings)
    assert len(ok.opened) == 1


def test_visit_time_rules(session, world, settings):
    """Naive times, future times, and times before the segment or checklist existed."""
    seg = world["segment"]
    cases = {
        "needs a time zone": datetime(2024, 5, 2, 9, 30),
        "in the future": datetime.now(ICT) + timedelta(hours=1),
        "did not exist yet": datetime(2018, 6, 1, 9, 0, tzinfo=ICT),
        "no checklist version is in force": datetime(2020, 1, 1, 9, 0, tzinfo=ICT),
    }
    for message, moment in cases.items():
        with pytest.raises(InvalidVisitError, match=message) as exc:
            record_visit(session, world["inspector"],
                         visit_input(session, segment_id=seg.id, visited_at=moment), settings)
        assert "visited_at" in _issues(exc.value)
    skew = datetime.now(ICT) + timedelta(minutes=2)
    assert record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, visited_at=skew), settings).inspection.id


def test_unknown_segment_is_not_found(session, world, settings):
    """A segment id that does not exist is a reference error on segment_id."""
    with pytest.raises(ReferenceNotFoundError) as exc:
        record_visit(session, world["inspector"],
                     visit_input(session, segment_id=987_654), settings)
    assert exc.value.field == "segment_id"


def test_placement_comes_from_history_on_the_visit_date(session, world, settings):
    """Undergrounded in mid-2023: a 2022 visit uses overhead items, a 2024 visit underground."""
    seg = world["segment"]
    record_state_change(session, seg.id, effective_date=date(2023, 6, 15),
                        placement="underground", source="test")
    old = datetime(2022, 5, 2, 9, 0, tzinfo=ICT)
    before = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, visited_at=old), settings)
    assert before.inspection.placement == "overhead"
    underground = results_for(session, "underground", C12=("fail", "5"))
    after = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, results=underground), settings)
    assert after.inspection.placement == "underground" and len(after.opened) == 1
    with pytest.raises(InvalidVisitError, match="C2 does not apply to underground"):
        record_visit(session, world["inspector"],
                     visit_input(session, segment_id=seg.id), settings)


def test_campaign_rules(session, world, settings):
    """Period, assigned inspectors, operator scope, commune scope."""
    seg = world["segment"]
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "11111", (106.30, 20.40, 106.40, 20.50), valid_from=date(2004, 1, 1))
    make_unit(session, "22222", (106.40, 20.40, 106.50, 20.50), valid_from=date(2004, 1, 1))
    base = dict(name="Kiểm tra cáp treo", legal_basis="QĐ 12/QĐ-SKHCN",
                starts_on=date(2024, 4, 1), ends_on=date(2024, 5, 31))
    campaign = create_campaign(session, world["admin"], CampaignInput(
        code="KT-2024-01", operators=("VNPT",), communes=("11111",),
        inspectors=("thanh.tra",), **base))
    ok = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, campaign_id=campaign.id), settings)
    assert ok.inspection.campaign_id == campaign.id
    with pytest.raises(InvalidVisitError, match="outside campaign KT-2024-01's period"):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=seg.id, campaign_id=campaign.id,
            visited_at=datetime(2024, 6, 1, 8, 0, tzinfo=ICT)), settings)
    colleague, _ = make_user(session, "inspector", username="dong.nghiep")
    with pytest.raises(ForbiddenError, match="not assigned"):
        record_visit(session, principal_of(colleague), visit_input(
            session, segment_id=seg.id, campaign_id=campaign.id), settings)
    assert record_visit(session, world["admin"], visit_input(
        session, segment_id=seg.id, campaign_id=campaign.id), settings).inspection.id
    theirs = make_segment(session, viettel, NORTH)
    with pytest.raises(InvalidVisitError, match="operator outside"):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=theirs.id, campaign_id=campaign.id), settings)
    far = make_segment(session, world["vnpt"], [(106.45, 20.45), (106.46, 20.45)])
    with pytest.raises(InvalidVisitError, match="outside the communes"):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=far.id, campaign_id=campaign.id), settings)
    with pytest.raises(ReferenceNotFoundError):
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=seg.id, campaign_id=424242), settings)


def test_failure_after_first_rows_leaves_nothing(session, world, settings, monkeypatch):
    """If recording fails after the visit, results and violations were written, nothing stays
    and the caller's transaction goes on."""
    seg = world["segment"]
    write_visit = visits.write_visit

    def explode(*args, **kwargs):
        write_visit(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(visits, "write_visit", explode)
    visit = visit_input(session, segment_id=seg.id, overrides={"C3": "fail"})
    with pytest.raises(RuntimeError):
        record_visit(session, world["inspector"], visit, settings)
    counts = [session.scalar(select(func.count()).select_from(model))
              for model in (Inspection, InspectionResult, Violation)]
    assert counts == [0, 0, 0]
    monkeypatch.undo()
    assert record_visit(session, world["inspector"], visit, settings).opened


def test_checklist_version_by_date_unless_the_campaign_pins_one(session, world, settings,
                                                                tmp_path):
    """A newer version in force is used, except under a campaign pinned to the older one."""
    text = bundled_path().read_text("utf-8").replace(
        'code = "QCVN33-2019/v1"', 'code = "HY-2024/v2"', 1).replace(
        "effective_from = 2020-07-01", "effective_from = 2024-01-01", 1).replace(
        "limit_value = 10\n", "limit_value = 8\n", 1)
    path = tmp_path / "v2.toml"
    path.write_text(text, "utf-8")
    v2, _ = load_catalogue(session, path)
    seg = world["segment"]
    slack = {"C3": ("pass", "9")}  # within 10 m (v1) but over 8 m (v2)
    with pytest.raises(InvalidVisitError, match="the limit is at most 8"):
        record_visit(session, world["inspector"],
                     visit_input(session, segment_id=seg.id, overrides=slack), settings)
    campaign = create_campaign(session, world["admin"], CampaignInput(
        code="KT-V1", name="v1", legal_basis="QĐ 1", starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31), checklist_version="QCVN33-2019/v1"))
    pinned = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides=slack, campaign_id=campaign.id), settings)
    assert pinned.inspection.checklist_version_id == campaign.checklist_version_id != v2.id
    plain = record_visit(session, world["inspector"], visit_input(
        session, segment_id=seg.id, overrides={"C3": ("pass", "7.5")}), settings)
    assert plain.inspection.checklist_version_id == v2.id


def test_plain_strings_and_floats_from_python_callers(session, world, settings):
    """Python callers may pass "fail" and 12.5; an unknown result is an issue on its field."""
    results = [ResultInput(r.item, r.result.value) for r in results_for(session, "overhead")]
    results[2] = ResultInput("C3", "fail", 12.5)  # type: ignore[arg-type]
    outcome = record_visit(session, world["inspector"], visit_input(
        session, segment_id=world["segment"].id, results=tuple(results)), settings)
    assert len(outcome.opened) == 1
    stored = session.scalar(select(InspectionResult.measured_value).where(
        InspectionResult.inspection_id == outcome.inspection.id,
        InspectionResult.measured_value.is_not(None)))
    assert stored == Decimal("12.5")
    results[0] = ResultInput("C1", "maybe")  # type: ignore[arg-type]
    with pytest.raises(InvalidVisitError) as exc:
        record_visit(session, world["inspector"], visit_input(
            session, segment_id=world["segment"].id, results=tuple(results)), settings)
    assert "results[0].result" in _issues(exc.value)
