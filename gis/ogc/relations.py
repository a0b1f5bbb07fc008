"""The SQL relation ``p`` of a collection for one request, with the conditions ``datetime``
adds. Segments take their state on the ``datetime`` date from the history through
:func:`gis.queries.segments.select_segments` (the same as-of rule as ``GET /segments``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from gis.compliance.rules import local_date
from gis.errors import ValidationFailed, invalid
from gis.ogc.collections import Collection, Temporal
from gis.ogc.params import When, as_of_date, utc
from gis.queries.segments import (
    SELECTED_COLUMNS,
    SegmentFilter,
    property_sql,
    select_segments,
)

#: The route ``r``, operator ``o`` and commune ``u`` of the segment ``p`` (the names
#: :func:`gis.queries.segments.property_sql` reads), each probed by primary key: ``OFFSET 0``
#: keeps the planner from hashing every route for a page of a thousand segments.
_LOOKUPS = """
      LEFT JOIN LATERAL (SELECT code FROM cable_routes WHERE id = p.route_id OFFSET 0) r ON true
      LEFT JOIN LATERAL (SELECT code FROM operators WHERE id = p.operator_id OFFSET 0) o ON true
      LEFT JOIN LATERAL (SELECT code, name FROM admin_units WHERE id = p.commune_id OFFSET 0) u
        ON true"""


@dataclass
class Relation:
    """``FROM {sql} WHERE {conditions}`` with bound ``params``."""

    sql: str
    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _segments(session: Session, when: When | None, stale_after_days: int) -> Relation:
    try:
        selection = select_segments(session, SegmentFilter(), as_of=as_of_date(when),
                                    stale_after_days=stale_after_days)
    except ValidationFailed as exc:  # a future date: name the OGC parameter
        raise invalid("datetime", str(exc)) from None
    values = property_sql()
    values.pop("compliance")
    columns = ", ".join(f"{sql} AS {name}" for name, sql in values.items())
    sql = (f"(SELECT p.id, p.geom, {columns}"
           f" FROM (SELECT {SELECTED_COLUMNS} FROM {selection.from_sql}"
           f" WHERE {selection.where_sql()}) p{_LOOKUPS}) p")
    return Relation(sql, [], dict(selection.params))


def relation(
    session: Session, collection: Collection, when: When | None, *, stale_after_days: int
) -> Relation:
    """The relation ``p`` of ``collection`` with the conditions of ``when`` (None: all rows;
    segments: today)."""
    if collection.temporal is Temporal.AS_OF:
        return _segments(session, when, stale_after_days)
    found = Relation(collection.relation)
    if when is None or collection.temporal is Temporal.NONE:
        return found
    if collection.temporal is Temporal.VALIDITY:
        if when.end is not None:
            found.conditions.append("p.valid_from <= CAST(:when_end AS date)")
            found.params["when_end"] = local_date(when.end)
        if when.start is not None:
            found.conditions.append(
                "(p.valid_to IS NULL OR p.valid_to > CAST(:when_start AS date))")
            found.params["when_start"] = local_date(when.start)
        return found
    column = collection.temporal_column
    if when.start is not None:
        found.conditions.append(f"{column} >= :when_start")
        found.params["when_start"] = utc(when.start)
    if when.end is not None:
        found.conditions.append(f"{column} <= :when_end")
        found.params["when_end"] = utc(when.end)
    return found
