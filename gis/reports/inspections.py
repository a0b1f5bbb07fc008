"""Visits per month.

A visit that a later correction replaced is not counted (the correction stands for it), so a
visit corrected once counts once. Months are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compliance.rules import local_date_sql
from gis.reports.periods import local_days_sql, month_start
from gis.reports.scope import ReportScope

#: SQL true for a visit ``i`` that no correction replaced.
NOT_CORRECTED = "NOT EXISTS (SELECT 1 FROM inspections c WHERE c.corrects_id = i.id)"


@dataclass(frozen=True)
class VisitMonth:
    """Visits in the local month starting on ``month``, and the distinct segments visited."""

    month: date
    visits: int
    segments: int


_VISITS_SQL = f"""
    SELECT date_trunc('month', {local_date_sql("i.visited_at")})::date AS month,
           count(*) AS visits, count(DISTINCT i.segment_id) AS segments
      FROM inspections i JOIN cable_segments s ON s.id = i.segment_id
     WHERE {local_days_sql("i.visited_at")} AND {NOT_CORRECTED} AND {{condition}}
     GROUP BY 1"""


def visits_by_month(session: Session, scope: ReportScope, months: list[date]) -> list[VisitMonth]:
    """Visits of ``scope`` in each month of ``months`` (any day of each month; ascending),
    months without visits included."""
    firsts = [month_start(m) for m in months]
    after = (firsts[-1] + timedelta(days=32)).replace(day=1)
    rows = session.execute(text(_VISITS_SQL.format(condition=scope.segment_condition())),
                           {"first": firsts[0], "after": after, **scope.params()})
    found = {row.month: row for row in rows}
    return [VisitMonth(m, found[m].visits if m in found else 0,
                       found[m].segments if m in found else 0) for m in firsts]
