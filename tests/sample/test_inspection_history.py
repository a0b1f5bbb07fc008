"""The demo's inspection history: what the issue asks of it, checked in the database after the
committed demo is loaded through the same services as the API."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from gis.compliance.campaigns import campaign_progress, progress_query
from gis.compliance.rules import local_today
from gis.models import Campaign


@pytest.fixture
def session(demo_session):
    """Every test of this module reads the committed demo, loaded once per module."""
    return demo_session


@pytest.fixture
def loaded(demo_loaded):
    """load_sample's counts for the committed demo."""
    return demo_loaded[1]


def scalar(session, sql: str, **params):
    return session.execute(text(sql), params).scalar_one()


def test_ten_campaigns_in_2023_with_visits(session, loaded):
    """2023 has 10 campaigns, each with visits inside its period and a legal basis."""
    rows = session.execute(text("""
        SELECT c.code, count(i.id) AS visits,
               bool_and((i.visited_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                        BETWEEN c.starts_on AND c.ends_on) AS inside
          FROM campaigns c LEFT JOIN inspections i ON i.campaign_id = c.id
         WHERE extract(year FROM c.starts_on) = 2023
         GROUP BY c.code ORDER BY c.code""")).all()
    assert len(rows) == 10
    for code, visits, inside in rows:
        assert visits >= 20, code
        assert inside, code
    assert loaded["visits"]["added"] == loaded["visits"]["read"] > 500


def test_seven_penalty_decisions_a_little_over_28_million(session, loaded):
    """7 decisions in 2023 totalling a little over 28,000,000 VND, each linked to violations of
    its own operator that were found before the decision."""
    count, total = session.execute(text("""
        SELECT count(*), sum(amount_vnd) FROM penalty_decisions
         WHERE extract(year FROM decided_on) = 2023""")).one()
    assert count == 7
    assert 28_000_000 < total < 29_000_000
    unlinked = scalar(session, """
        SELECT count(*) FROM penalty_decisions d
         WHERE NOT EXISTS (SELECT 1 FROM penalty_violations pv WHERE pv.decision_id = d.id)""")
    assert unlinked == 0
    mismatched = scalar(session, """
        SELECT count(*) FROM penalty_violations pv
          JOIN penalty_decisions d ON d.id = pv.decision_id
          JOIN violations v ON v.id = pv.violation_id
         WHERE v.operator_id <> d.operator_id
            OR (v.found_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date > d.decided_on""")
    assert mismatched == 0


def test_open_and_overdue_violations_today(session, loaded):
    """Some violations are unresolved today, and some of those are past their due date."""
    today = local_today()
    unresolved, overdue = session.execute(text("""
        SELECT count(*), count(*) FILTER (WHERE due_on < :today)
          FROM violations WHERE state IN ('open', 'remediation_reported')"""),
        {"today": today}).one()
    assert overdue > 0
    assert unresolved >= overdue
    closed = scalar(session, "SELECT count(*) FROM violations WHERE state = 'closed'")
    reported = scalar(session, """
        SELECT count(*) FROM violations WHERE remediation_reported_at IS NOT NULL""")
    assert closed > 50 and reported > 50


def test_every_visit_covers_its_checklist(session, loaded):
    """Each visit has exactly one result per item applicable to the segment's placement."""
    bad = scalar(session, """
        SELECT count(*) FROM inspections i
         WHERE (SELECT count(*) FROM inspection_results r WHERE r.inspection_id = i.id)
            <> (SELECT count(*) FROM checklist_items c
                 WHERE c.version_id = i.checklist_version_id
                   AND i.placement = ANY (c.placements))""")
    assert bad == 0


def test_violations_come_from_failed_results(session, loaded):
    """Every violation was opened by a failed result of its visit, due per the catalogue."""
    orphans = scalar(session, """
        SELECT count(*) FROM violations v
          JOIN checklist_items c ON c.id = v.item_id
          LEFT JOIN inspection_results r
                 ON r.inspection_id = v.inspection_id AND r.item_id = v.item_id
         WHERE r.result IS DISTINCT FROM 'fail'
            OR v.due_on <> (v.found_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                           + c.remediation_days""")
    assert orphans == 0


def test_history_spans_2023_to_2026(session, loaded):
    """Visits in every year from 2023 to 2026, none in the future."""
    years = {row[0] for row in session.execute(text(
        "SELECT DISTINCT extract(year FROM visited_at)::int FROM inspections"))}
    assert years == {2023, 2024, 2025, 2026}
    latest = scalar(session, "SELECT max(visited_at)::date FROM inspections")
    assert latest <= date.today()


def test_campaign_progress_starts_from_the_communes(session, loaded):
    """A campaign's segments in scope are found through the segments' spatial index from its
    communes, not by testing every segment's midpoint (~25 s at 1,000,000 segments).

    The plan depends on the statistics: autovacuum may have analysed the tables while another
    test's transaction left them empty (then the planner picked another index, now and then in
    long runs). The tables are analysed inside this test's transaction (which sees the demo;
    rolled back with it), and on 3,000 rows sequential scans are priced out, so the plan shows
    whether the query can use the spatial index at all, which is what matters at scale."""
    campaign = session.scalar(select(Campaign).where(Campaign.code == "KT-2023-01"))
    sql, params = progress_query(session, campaign, date(2026, 11, 27))
    session.execute(text("ANALYZE cable_segments, segment_states, admin_units, "
                         "campaign_communes, campaign_operators, inspections"))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(session.scalars(text("EXPLAIN " + sql), params))
    assert "cable_segments_geom_idx" in plan and "Seq Scan on cable_segments" not in plan, plan
    session.execute(text("SET LOCAL enable_seqscan = on"))
    progress = campaign_progress(session, campaign, date(2026, 11, 27))
    assert progress.visits == 45 and progress.segments_in_scope >= progress.segments_visited
