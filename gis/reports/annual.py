"""The annual report for a year Y, the figures the department presents at its year-end review.

- campaigns held in Y (their period overlaps Y), with their communes, operators, and the visits
  made under them in Y;
- visits in Y and the distinct segments they checked (a visit that a correction replaced does
  not count: the correction stands for it);
- violations found in Y (withdrawn ones, recorded by mistake and corrected, do not count) and
  violations closed in Y (verified remediated), per checklist item and per severity;
- penalty decisions dated in Y with their amounts and the total in VND;
- km undergrounded and km tidied in Y, per operator and per commune: active cable at the end of
  Y that was underground then and overhead at the end of Y-1 (the rule of the plans'
  ``achieved_km``), and cable overhead at both dates that was tidied at the end of Y and not at
  the end of Y-1;
- the plans of Y, their targets and what was achieved (:mod:`gis.reports.plans`).

Y ends on 31 December, or today while it runs. Dates are local (Asia/Ho_Chi_Minh); lengths are
km of the stored geodesic ``length_m`` (metres on the WGS 84 ellipsoid). A scope (operator,
commune) keeps the cable, visits, violations and decisions that concern it; with a scope, only
the campaigns with visits in it are listed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle, Placement, Severity, ViolationState
from gis.compliance.rules import local_today
from gis.history import state_row_sql
from gis.reports.enforcement import decision_condition
from gis.reports.inspections import NOT_CORRECTED
from gis.reports.periods import check_year, local_days_sql, period_end
from gis.reports.plans import PlanFigure, plan_figures
from gis.reports.scope import ReportScope


@dataclass(frozen=True)
class CampaignRow:
    """A campaign held in the year: its period, communes (names) and operators (codes; empty
    means every operator), and its visits in the year, distinct segments visited and the
    violations those visits found."""

    code: str
    name: str
    starts_on: date
    ends_on: date
    communes: list[str]
    operators: list[str]
    visits: int
    segments: int
    violations_found: int


@dataclass(frozen=True)
class ItemCount:
    """Violations of one checklist item (its code, text and severity in the latest catalogue
    version) found and closed in the year."""

    code: str
    text_vi: str
    text_en: str
    severity: Severity
    found: int
    closed: int


@dataclass(frozen=True)
class SeverityCount:
    """Violations of one severity found and closed in the year."""

    severity: Severity
    found: int
    closed: int


@dataclass(frozen=True)
class PenaltyRow:
    """A penalty decision dated in the year: number, date, operator, legal basis, amount (VND)
    and how many violations it cites."""

    number: str
    decided_on: date
    operator: str
    decree: str
    article: str
    clause: str | None
    amount_vnd: int
    violations: int


@dataclass(frozen=True)
class ChangeRow:
    """Km (and segments) undergrounded and tidied in the year in one operator or commune
    (``code`` None: cable in no commune)."""

    code: str | None
    name: str | None
    undergrounded_km: float
    undergrounded_segments: int
    tidied_km: float
    tidied_segments: int


@dataclass(frozen=True)
class AnnualReport:
    """The year-end review of ``year`` for ``operator`` / ``commune`` (None = all), from
    ``first_day`` to ``as_of`` (31 December, or the day it was made while the year runs)."""

    __pydantic_config__ = {"json_schema_extra": {"examples": [{
        "year": 2023, "first_day": "2023-01-01", "as_of": "2023-12-31", "operator": None,
        "commune": None, "commune_name": None,
        "campaigns": [{"code": "KT-2023-01", "name": "Kiểm tra cáp viễn thông (2023)",
                       "starts_on": "2023-02-13", "ends_on": "2023-02-28",
                       "communes": ["Phường Đề Thám"], "operators": ["VNPT", "VIETTEL"],
                       "visits": 45, "segments": 45, "violations_found": 30}],
        "visits": 570, "segments_checked": 424, "km_checked": 21.5,
        "violations_found": 190, "violations_closed": 120,
        "by_severity": [{"severity": "major", "found": 90, "closed": 60}],
        "by_item": [{"code": "C2", "text_vi": "Biển báo độ cao", "text_en": "Height sign",
                     "severity": "major", "found": 40, "closed": 25}],
        "penalties": [{"number": "01/QĐ-XPHC-2023", "decided_on": "2023-03-17",
                       "operator": "VNPT", "decree": "Nghị định 15/2020/NĐ-CP",
                       "article": "Điều 40", "clause": "khoản 1", "amount_vnd": 5750000,
                       "violations": 3}],
        "penalty_decisions": 7, "penalty_total_vnd": 28250000,
        "km_undergrounded": 0.0, "segments_undergrounded": 0, "km_tidied": 7.2,
        "segments_tidied": 159,
        "by_operator": [{"code": "VNPT", "name": "VNPT Thái Bình", "undergrounded_km": 0.0,
                         "undergrounded_segments": 0, "tidied_km": 2.1,
                         "tidied_segments": 40}],
        "by_commune": [], "plans": [], "plan_target_km": 0.0, "plan_achieved_km": 0.0,
    }]}}

    year: int
    first_day: date
    as_of: date
    operator: str | None
    commune: str | None
    commune_name: str | None
    campaigns: list[CampaignRow]
    visits: int
    segments_checked: int
    km_checked: float
    violations_found: int
    violations_closed: int
    by_severity: list[SeverityCount]
    by_item: list[ItemCount]
    penalties: list[PenaltyRow]
    penalty_decisions: int
    penalty_total_vnd: int
    km_undergrounded: float
    segments_undergrounded: int
    km_tidied: float
    segments_tidied: int
    by_operator: list[ChangeRow]
    by_commune: list[ChangeRow]
    plans: list[PlanFigure]
    plan_target_km: float
    plan_achieved_km: float


_VISITS_IN_YEAR = f"""
      SELECT i.campaign_id, i.segment_id, s.length_m
        FROM inspections i JOIN cable_segments s ON s.id = i.segment_id
       WHERE {local_days_sql("i.visited_at")} AND {NOT_CORRECTED} AND {{condition}}"""

_CAMPAIGNS_SQL = f"""
    WITH visits AS ({_VISITS_IN_YEAR}
    ), found AS (
      SELECT i.campaign_id, count(*) AS violations
        FROM violations v
        JOIN inspections i ON i.id = v.inspection_id
        JOIN cable_segments s ON s.id = v.segment_id
       WHERE {local_days_sql("i.visited_at")} AND v.state <> '{ViolationState.WITHDRAWN}'
         AND {{condition}}
       GROUP BY 1
    ), per_campaign AS (
      SELECT campaign_id, count(*) AS visits, count(DISTINCT segment_id) AS segments
        FROM visits GROUP BY 1
    )
    SELECT c.code, c.name, c.starts_on, c.ends_on,
           ARRAY(SELECT DISTINCT u.name FROM campaign_communes cc
                   JOIN admin_units u ON u.id = cc.admin_unit_id
                  WHERE cc.campaign_id = c.id ORDER BY u.name) AS communes,
           ARRAY(SELECT o.code FROM campaign_operators co JOIN operators o ON o.id = co.operator_id
                  WHERE co.campaign_id = c.id ORDER BY o.code) AS operators,
           coalesce(p.visits, 0) AS visits, coalesce(p.segments, 0) AS segments,
           coalesce(f.violations, 0) AS violations_found
      FROM campaigns c
      LEFT JOIN per_campaign p ON p.campaign_id = c.id
      LEFT JOIN found f ON f.campaign_id = c.id
     WHERE c.starts_on <= :last AND c.ends_on >= :first {{only_visited}}
     ORDER BY c.starts_on, c.code"""

_CHECKED_SQL = f"""
    WITH visits AS ({_VISITS_IN_YEAR})
    SELECT count(*) AS visits, count(DISTINCT segment_id) AS segments,
           coalesce((SELECT sum(length_m) FROM (SELECT DISTINCT segment_id, length_m
                                                  FROM visits) d), 0) / 1000.0 AS km
      FROM visits"""

_FOUND = local_days_sql("v.found_at")
_CLOSED = local_days_sql("v.closed_at")
_ITEMS_SQL = f"""
    SELECT ci.code, (array_agg(ci.text_vi ORDER BY ci.version_id DESC))[1] AS text_vi,
           (array_agg(ci.text_en ORDER BY ci.version_id DESC))[1] AS text_en,
           (array_agg(ci.severity ORDER BY ci.version_id DESC))[1] AS severity,
           count(*) FILTER (WHERE {_FOUND} AND v.state <> '{ViolationState.WITHDRAWN}') AS found,
           count(*) FILTER (WHERE {_CLOSED} AND v.state = '{ViolationState.CLOSED}') AS closed
      FROM violations v
      JOIN checklist_items ci ON ci.id = v.item_id
      JOIN cable_segments s ON s.id = v.segment_id
     WHERE ({_FOUND} OR {_CLOSED}) AND {{condition}}
     GROUP BY ci.code
     ORDER BY min(ci.position), ci.code"""

_PENALTIES_SQL = """
    SELECT d.number, d.decided_on, o.code AS operator, d.decree, d.article, d.clause,
           d.amount_vnd,
           (SELECT count(*) FROM penalty_violations pv WHERE pv.decision_id = d.id)
             AS violations
      FROM penalty_decisions d JOIN operators o ON o.id = d.operator_id
     WHERE d.decided_on >= :first AND d.decided_on < :after AND {condition}
     ORDER BY d.decided_on, d.number"""

_UNDER = f"e.placement = '{Placement.UNDERGROUND}' AND b.placement = '{Placement.OVERHEAD}'"
_TIDY = (f"e.placement = '{Placement.OVERHEAD}' AND e.tidied"
         f" AND b.placement = '{Placement.OVERHEAD}' AND NOT b.tidied")
#: Only segments with a state row dated in the year can have changed (index on the date).
_CHANGES_SQL = f"""
    SELECT o.code AS operator_code, o.name AS operator_name,
           u.code AS commune_code, u.name AS commune_name,
           coalesce(sum(s.length_m) FILTER (WHERE {_UNDER}), 0) / 1000.0 AS undergrounded_km,
           count(*) FILTER (WHERE {_UNDER}) AS undergrounded_segments,
           coalesce(sum(s.length_m) FILTER (WHERE {_TIDY}), 0) / 1000.0 AS tidied_km,
           count(*) FILTER (WHERE {_TIDY}) AS tidied_segments
      FROM (SELECT DISTINCT segment_id FROM segment_states
             WHERE effective_date >= :first AND effective_date <= :last) changed
      JOIN cable_segments s ON s.id = changed.segment_id
     CROSS JOIN LATERAL ({state_row_sql("s.id", ":last", "h.placement, h.tidied, h.lifecycle")}) e
      JOIN LATERAL ({state_row_sql("s.id", ":year_before", "h.placement, h.tidied")}) b ON true
      JOIN operators o ON o.id = s.operator_id
      LEFT JOIN admin_units u ON u.id = s.commune_id
     WHERE e.lifecycle = '{Lifecycle.ACTIVE}' AND {{condition}}
     GROUP BY o.code, o.name, u.code, u.name"""


def _change_rows(rows: list, key: str) -> list[ChangeRow]:
    """Sum the (operator, commune) rows per ``key`` ('operator' or 'commune')."""
    sums: dict[str | None, list] = defaultdict(lambda: [None, 0.0, 0, 0.0, 0])
    for row in rows:
        code = getattr(row, f"{key}_code")
        acc = sums[code]
        acc[0] = getattr(row, f"{key}_name")
        acc[1] += float(row.undergrounded_km)
        acc[2] += row.undergrounded_segments
        acc[3] += float(row.tidied_km)
        acc[4] += row.tidied_segments
    return [ChangeRow(code, name, round(under, 3), n_under, round(tidy, 3), n_tidy)
            for code, (name, under, n_under, tidy, n_tidy)
            in sorted(sums.items(), key=lambda item: item[0] or "~")
            if n_under or n_tidy]


def build_annual_report(session: Session, scope: ReportScope, year: int,
                        today: date | None = None) -> AnnualReport:
    """The annual report of ``year`` for ``scope``. ValidationFailed naming ``year`` when it is
    before :data:`~gis.reports.periods.FIRST_YEAR` or in the future."""
    today = today or local_today()
    check_year(year, today)
    first, last = date(year, 1, 1), period_end(year, today)
    condition = scope.segment_condition()
    params = {"first": first, "last": last, "after": last + timedelta(days=1),
              "year_before": date(year - 1, 12, 31), **scope.params()}

    only_visited = "" if scope.is_whole_network else "AND p.visits > 0"
    campaigns = [CampaignRow(**row._mapping) for row in session.execute(text(
        _CAMPAIGNS_SQL.format(condition=condition, only_visited=only_visited)), params)]
    checked = session.execute(text(_CHECKED_SQL.format(condition=condition)), params).one()
    items = [ItemCount(code=r.code, text_vi=r.text_vi, text_en=r.text_en,
                       severity=Severity(r.severity), found=r.found, closed=r.closed)
             for r in session.execute(text(_ITEMS_SQL.format(condition=condition)), params)]
    severities = [SeverityCount(sev, sum(i.found for i in items if i.severity is sev),
                                sum(i.closed for i in items if i.severity is sev))
                  for sev in Severity]
    penalties = [PenaltyRow(**row._mapping) for row in session.execute(text(
        _PENALTIES_SQL.format(condition=decision_condition(scope))), params)]
    changes = session.execute(text(_CHANGES_SQL.format(condition=condition)), params).all()
    by_operator = _change_rows(changes, "operator")
    plans = plan_figures(session, scope, year=year, today=today)
    return AnnualReport(
        year=year, first_day=first, as_of=last, operator=scope.operator,
        commune=scope.commune, commune_name=scope.commune_name, campaigns=campaigns,
        visits=checked.visits, segments_checked=checked.segments,
        km_checked=round(float(checked.km), 3),
        violations_found=sum(i.found for i in items),
        violations_closed=sum(i.closed for i in items),
        by_severity=severities, by_item=items, penalties=penalties,
        penalty_decisions=len(penalties),
        penalty_total_vnd=sum(p.amount_vnd for p in penalties),
        km_undergrounded=round(sum(r.undergrounded_km for r in by_operator), 3),
        segments_undergrounded=sum(r.undergrounded_segments for r in by_operator),
        km_tidied=round(sum(r.tidied_km for r in by_operator), 3),
        segments_tidied=sum(r.tidied_segments for r in by_operator),
        by_operator=by_operator, by_commune=_change_rows(changes, "commune"),
        plans=plans,
        plan_target_km=round(sum(p.target_km or 0.0 for p in plans), 3),
        plan_achieved_km=round(sum(p.achieved_km for p in plans), 3),
    )
