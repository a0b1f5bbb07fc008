"""The annual report on the demo province, cross-checked with queries written here, and its
.xlsx workbook read back. The demo's 2023 is the department's reported year: 10 specialised
inspections and 7 penalty decisions totalling 28,250,000 VND."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from gis.choices import Severity
from gis.errors import ValidationFailed
from gis.models import Inspection
from gis.queries.plans import list_plans, plan_progress
from gis.reports.annual import build_annual_report
from gis.reports.periods import FIRST_YEAR
from gis.reports.scope import WHOLE_NETWORK, resolve_scope
from gis.reports.xlsx import annual_workbook

TODAY = date(2026, 11, 27)
ICT = timezone(timedelta(hours=7))
IN_2023 = ("visited_at >= '2023-01-01 00:00+07' AND visited_at < '2024-01-01 00:00+07'")

#: Km of active cable per placement/tidy at the end of :d, per segment (for the changes).
STATE_AT = """
    SELECT DISTINCT ON (segment_id) segment_id, placement, tidied, lifecycle
      FROM segment_states WHERE effective_date <= :d
     ORDER BY segment_id, effective_date DESC, id DESC"""


@pytest.fixture
def report_2023(session):
    return build_annual_report(session, WHOLE_NETWORK, 2023, today=TODAY)


def test_2023_campaigns_and_penalties_are_the_departments_figures(report_2023):
    assert report_2023.as_of == date(2023, 12, 31)
    assert len(report_2023.campaigns) == 10
    assert [c.code for c in report_2023.campaigns] == [f"KT-2023-{i:02d}" for i in range(1, 11)]
    assert report_2023.penalty_decisions == 7
    assert report_2023.penalty_total_vnd == 28_250_000
    assert sum(p.amount_vnd for p in report_2023.penalties) == 28_250_000
    assert all(p.decided_on.year == 2023 and p.violations >= 1 for p in report_2023.penalties)


def test_visits_and_segments_checked_match_the_inspections(session, report_2023):
    visits, segments, km = session.execute(text(
        f"SELECT count(*), count(DISTINCT segment_id),"
        f" (SELECT sum(length_m) / 1000 FROM cable_segments WHERE id IN"
        f"   (SELECT segment_id FROM inspections WHERE {IN_2023}))"
        f" FROM inspections WHERE {IN_2023}")).one()
    assert (report_2023.visits, report_2023.segments_checked) == (visits, segments) == (570, 424)
    assert report_2023.km_checked == pytest.approx(float(km), abs=0.001)
    campaign_visits = session.execute(text(
        f"SELECT count(*) FROM inspections WHERE campaign_id IS NOT NULL AND {IN_2023}"
    )).scalar_one()
    assert sum(c.visits for c in report_2023.campaigns) == campaign_visits
    first = report_2023.campaigns[0]
    assert first.communes and first.starts_on.year == 2023 and first.segments <= first.visits


def test_violations_found_and_closed_per_severity(session, report_2023):
    rows = session.execute(text("""
        SELECT ci.severity,
               count(*) FILTER (WHERE v.found_at >= '2023-01-01 00:00+07'
                                  AND v.found_at < '2024-01-01 00:00+07'
                                  AND v.state <> 'withdrawn') AS found,
               count(*) FILTER (WHERE v.closed_at >= '2023-01-01 00:00+07'
                                  AND v.closed_at < '2024-01-01 00:00+07'
                                  AND v.state = 'closed') AS closed
          FROM violations v JOIN checklist_items ci ON ci.id = v.item_id
         GROUP BY ci.severity""")).all()
    expected = {Severity(r.severity): (r.found, r.closed) for r in rows}
    got = {s.severity: (s.found, s.closed) for s in report_2023.by_severity}
    assert got == {sev: expected.get(sev, (0, 0)) for sev in Severity}
    assert report_2023.violations_found == sum(f for f, _ in expected.values()) > 0
    assert report_2023.violations_closed == sum(c for _, c in expected.values()) > 0
    assert sum(i.found for i in report_2023.by_item) == report_2023.violations_found
    assert all(i.code.startswith("C") and i.text_vi and i.text_en for i in report_2023.by_item)
    assert sum(c.violations_found for c in report_2023.campaigns) <= report_2023.violations_found


@pytest.mark.parametrize("year", [2021, 2023, 2024])
def test_km_undergrounded_and_tidied_are_the_changes_of_the_year(session, year):
    report = build_annual_report(session, WHOLE_NETWORK, year, today=TODAY)
    under, tidy = session.execute(text(f"""
        SELECT coalesce(sum(c.length_m) FILTER (WHERE e.placement = 'underground'
                                                  AND b.placement = 'overhead'), 0) / 1000,
               coalesce(sum(c.length_m) FILTER (WHERE e.placement = 'overhead' AND e.tidied
                                                  AND b.placement = 'overhead'
                                                  AND NOT b.tidied), 0) / 1000
          FROM ({STATE_AT.replace(':d', ':end')}) e
          JOIN ({STATE_AT.replace(':d', ':before')}) b ON b.segment_id = e.segment_id
          JOIN cable_segments c ON c.id = e.segment_id
         WHERE e.lifecycle = 'active'"""),
        {"end": date(year, 12, 31), "before": date(year - 1, 12, 31)}).one()
    assert report.km_undergrounded == pytest.approx(float(under), abs=0.001)
    assert report.km_tidied == pytest.approx(float(tidy), abs=0.001)
    assert sum(r.undergrounded_km for r in report.by_commune) == pytest.approx(
        report.km_undergrounded, abs=0.002)
    assert sum(r.tidied_segments for r in report.by_operator) == report.segments_tidied
    assert sum(r.tidied_segments for r in report.by_commune) == report.segments_tidied
    if year == 2021:  # the demo's last undergrounding year
        assert report.km_undergrounded > 10
    else:
        assert report.km_tidied > 1


def test_plans_of_the_year_are_the_plans_with_their_progress(session):
    report = build_annual_report(session, WHOLE_NETWORK, 2025, today=TODAY)
    plans = list_plans(session, year=2025)
    assert [p.id for p in report.plans] == [p.id for p in plans]
    assert report.plan_target_km == pytest.approx(
        sum(float(p.target_km) for p in plans if p.target_km is not None), abs=0.001)
    for figure in report.plans:
        progress = plan_progress(session, figure.id, TODAY)
        assert figure.achieved_km == pytest.approx(progress.achieved_km, abs=0.001)
        assert figure.scope_km == pytest.approx(progress.scope_km, abs=0.001)


def test_an_operator_scope_keeps_its_own_decisions_and_cable(session, report_2023):
    report = build_annual_report(session, resolve_scope(session, operator="VNPT"), 2023,
                                 today=TODAY)
    assert {p.operator for p in report.penalties} == {"VNPT"}
    vnpt = [p for p in report_2023.penalties if p.operator == "VNPT"]
    assert report.penalty_total_vnd == sum(p.amount_vnd for p in vnpt)
    assert 0 < report.visits < report_2023.visits
    assert [r.code for r in report.by_operator] in (["VNPT"], [])
    assert all(c.visits > 0 for c in report.campaigns)


def test_a_corrected_visit_counts_once(session, report_2023):
    original = session.scalars(select(Inspection).where(text(IN_2023))
                               .order_by(Inspection.id)).first()
    correction = Inspection(
        segment_id=original.segment_id, operator_id=original.operator_id,
        inspector_id=original.inspector_id, placement=original.placement,
        visited_at=original.visited_at + timedelta(minutes=5),
        checklist_version_id=original.checklist_version_id, corrects_id=original.id,
        correction_reason="wrong item ticked", idempotency_key=uuid.uuid4(),
        request_sha256="0" * 64)
    session.add(correction)
    session.flush()
    again = build_annual_report(session, WHOLE_NETWORK, 2023, today=TODAY)
    assert again.visits == report_2023.visits
    extra = Inspection(
        segment_id=original.segment_id, operator_id=original.operator_id,
        inspector_id=original.inspector_id, placement=original.placement,
        visited_at=datetime(2023, 12, 31, 23, 30, tzinfo=ICT),
        checklist_version_id=original.checklist_version_id, idempotency_key=uuid.uuid4(),
        request_sha256="0" * 64)
    session.add(extra)
    session.flush()
    assert build_annual_report(session, WHOLE_NETWORK, 2023, today=TODAY).visits == \
        report_2023.visits + 1  # 23:30 local on 31/12 is still 2023


def test_a_running_year_ends_today(session):
    report = build_annual_report(session, WHOLE_NETWORK, 2026, today=TODAY)
    assert report.as_of == TODAY and report.first_day == date(2026, 1, 1)
    assert [c.code for c in report.campaigns] == ["KT-2026-01"]


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, TODAY.year + 1])
def test_a_year_out_of_range_names_the_field(session, year):
    with pytest.raises(ValidationFailed) as caught:
        build_annual_report(session, WHOLE_NETWORK, year, today=TODAY)
    assert [p.field for p in caught.value.problems] == ["year"]


def test_the_workbook_holds_the_reports_figures(report_2023):
    book = load_workbook(BytesIO(annual_workbook(report_2023)))
    assert book.sheetnames[0] == "Tổng hợp"
    assert set(book.sheetnames) >= {"Cuộc kiểm tra", "Xử phạt", "Theo doanh nghiệp",
                                    "Theo xã phường", "Kế hoạch", "Vi phạm theo mức độ"}
    summary = {row[1]: row[2] for row in book["Tổng hợp"].iter_rows(min_row=3, values_only=True)}
    assert summary["Campaigns held"] == 10
    assert summary["Visits"] == report_2023.visits
    assert summary["Total fines"] == 28_250_000
    assert summary["Overhead cable tidied in the year"] == pytest.approx(report_2023.km_tidied)
    sheet = book["Xử phạt"]
    assert sheet["A1"].value == "Số quyết định" and sheet["A1"].font.bold
    assert sheet["A2"].value == "Decision number"
    amounts = [row[7] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert amounts[:-1] == [p.amount_vnd for p in report_2023.penalties]
    assert amounts[-1] == 28_250_000 and all(isinstance(a, int) for a in amounts)
    assert sheet.cell(3, 8).number_format == "#,##0"
    assert sheet.cell(3, 2).is_date
    campaigns = list(book["Cuộc kiểm tra"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in campaigns[:-1]] == [c.code for c in report_2023.campaigns]
