"""Which dates the reports show: year ends, month ends, and the years a report may ask for.

A period that has not ended yet ends today (local date): a figure "at the end of 2026", asked
in November 2026, is today's.
"""

from __future__ import annotations

from datetime import date, timedelta

from gis.compliance.rules import LOCAL_TZ
from gis.errors import invalid

#: No report covers a year before this one (the state history of the demo starts in 2015; the
#: departments' digital records do not go further back than the 2000s).
FIRST_YEAR = 2000
#: Months in the monthly series of the dashboard.
MONTHS_SHOWN = 24


def check_year(year: int, today: date, field: str = "year") -> int:
    """``year`` when a report can cover it (:data:`FIRST_YEAR` to this year); otherwise a
    ValidationFailed naming ``field``."""
    if year < FIRST_YEAR:
        raise invalid(field, f"reports start in {FIRST_YEAR}; {year} is before that")
    if year > today.year:
        raise invalid(field, f"{year} is in the future (today is {today.isoformat()})")
    return year


def period_end(year: int, today: date) -> date:
    """The last day of ``year``, or ``today`` when the year is not over yet."""
    return min(date(year, 12, 31), today)


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def month_ends(end: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The last day of each of the ``count`` months up to ``end``'s month, oldest first; the
    last one is ``end`` itself (a month not over yet ends on ``end``)."""
    ends = [end]
    first = month_start(end)
    while len(ends) < count:
        first = month_start(first - timedelta(days=1))
        ends.append(month_end(first))
    return ends[::-1]


def year_ends(first_year: int, end: date) -> list[date]:
    """The last day of each year from ``first_year`` to ``end``'s year; the last one is
    ``end``. Empty when ``first_year`` is after ``end``'s year."""
    return [date(y, 12, 31) for y in range(first_year, end.year)] + (
        [end] if first_year <= end.year else [])


def local_before_sql(column: str, after: str = ":after") -> str:
    """SQL true when the ``timestamptz`` ``column`` falls on a local date (Asia/Ho_Chi_Minh)
    before the date parameter ``after``; written on the column itself so that its index
    serves."""
    return f"{column} < CAST({after} AS timestamp) AT TIME ZONE '{LOCAL_TZ}'"


def local_days_sql(column: str, first: str = ":first", after: str = ":after") -> str:
    """SQL true when the ``timestamptz`` ``column`` falls on a local date from the date
    parameter ``first`` to the day before ``after`` (see :func:`local_before_sql`)."""
    return (f"({column} >= CAST({first} AS timestamp) AT TIME ZONE '{LOCAL_TZ}'"
            f" AND {local_before_sql(column, after)})")
