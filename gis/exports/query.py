"""The export's SQL, and its rows streamed from PostgreSQL in constant memory.

The segments are those of ``GET /segments`` (:func:`gis.queries.segments.select_segments`:
the same filters, states on ``as_of``, compliance) with the same properties
(:func:`gis.queries.segments.property_sql`), all of them at once instead of one page: no
``ORDER BY`` (rows come in storage order, so nothing is sorted and the first row leaves at
once), the route, operator and commune looked up by hash joins, the compliance state joined
from the segments that ever had a visit or a violation (any other has the state of a segment
with no facts, ``untouched``).

Rows are read with psycopg's ``Cursor.stream`` (libpq's chunked mode, 2,000 rows per result,
or single-row mode before libpq 17): PostgreSQL sends rows while Python writes the previous
ones, and only the rows of the batch being written are held. A named (server-side) cursor
holds as little but asks for each batch and waits for it, which made a 1,000,000-segment
GeoJSON export 40 % slower here. Stopping early (a client that hangs up) cancels the query.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.queries.segments import (
    LOOKUPS,
    SELECTED_COLUMNS,
    TOUCHED_CTE,
    SegmentFilter,
    Selection,
    feature_sql,
    property_sql,
    select_segments,
    untouched_state,
)

#: Property names of an exported segment, in order (the GeoJSON properties; columns after
#: ``id`` in the other formats).
PROPERTY_NAMES: tuple[str, ...] = tuple(property_sql())

_COMPLIANCE = "coalesce(c.state, :untouched)"

#: Rows per result in libpq's chunked mode (one Python round trip per chunk, not per row).
STREAM_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class ExportQuery:
    """The segments to export (a :class:`~gis.queries.segments.Selection`: filters checked,
    codes resolved), as SQL."""

    selection: Selection
    params: dict[str, Any]

    @property
    def as_of(self) -> date:
        """The date the states and the compliance are taken on."""
        return self.selection.as_of

    def _sql(self, columns: str) -> str:
        sel = self.selection
        return f"""WITH {TOUCHED_CTE}
            SELECT {columns}
              FROM (SELECT {SELECTED_COLUMNS}
                      FROM {sel.from_sql}
                     WHERE {sel.where_sql()}) p{LOOKUPS}
              LEFT JOIN touched c ON c.segment_id = p.id"""

    def features_sql(self) -> str:
        """Rows ``(feature,)``: each segment as GeoJSON Feature text (EPSG:4326, 7 decimals)."""
        return self._sql(feature_sql(_COMPLIANCE))

    def columns_sql(self) -> str:
        """Rows ``(id, *PROPERTY_NAMES, wkb)``: the properties as values (``length_m`` metres,
        ``state_since`` a date) and the geometry as WKB in EPSG:4326."""
        values = ", ".join(f"{value} AS {name}" for name, value
                           in property_sql(_COMPLIANCE).items())
        return self._sql(f"p.id, {values}, ST_AsBinary(p.geom) AS wkb")

    def count_sql(self) -> str:
        """One row: how many segments the export holds."""
        sel = self.selection
        touched = f"WITH {TOUCHED_CTE} " if sel.needs_touched else ""
        return f"{touched}SELECT count(*) FROM {sel.from_sql} WHERE {sel.where_sql()}"


def export_query(
    session: Session, flt: SegmentFilter, *, as_of: date | None, stale_after_days: int
) -> ExportQuery:
    """The export of the segments passing ``flt`` on ``as_of`` (default: the local date).

    Raises ValidationFailed (field ``operator``, ``route``, ``commune`` or ``as_of``) for an
    unknown code or a date in the future, before anything is written.
    """
    selection = select_segments(session, flt, as_of=as_of, stale_after_days=stale_after_days)
    untouched = untouched_state(selection.as_of, stale_after_days)
    return ExportQuery(selection, {**selection.params, "untouched": untouched.value})


def count_rows(session: Session, query: ExportQuery) -> int:
    """How many segments ``query`` exports (for a progress bar)."""
    return session.execute(text(query.count_sql()), query.params).scalar_one()


def stream_rows(
    session: Session, sql: str, params: dict[str, Any], *, binary: bool = False
) -> Iterator[tuple]:
    """Rows of ``sql`` (SQLAlchemy ``:name`` parameters) in the session's transaction, as
    PostgreSQL sends them (see the module's note). ``binary``: values in binary format
    (``bytea`` comes as bytes without hex decoding)."""
    connection = session.connection()
    compiled = text(sql).compile(dialect=connection.dialect)
    driver = connection.connection.driver_connection
    size = STREAM_CHUNK_ROWS if psycopg.pq.version() >= 170000 else 1
    with driver.cursor(binary=binary) as cursor:
        yield from cursor.stream(compiled.string, compiled.construct_params(params), size=size)
