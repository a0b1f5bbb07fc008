"""Features of a collection as GeoJSON, serialised by PostgreSQL in one statement.

A page is keyset-paginated by feature id (``id > after ORDER BY id LIMIT limit + 1``, or for a
``prev`` link ``id < before ORDER BY id DESC``: no OFFSET, no count of the whole collection);
PostgreSQL returns the page's Feature texts already joined, how many there are, and the cursors
of the pages around it, so the FeatureCollection is assembled around them without parsing them
again. Geometry is written in the requested CRS: CRS84 (the
default) and EPSG:4326 by PostGIS with 7 decimals; EPSG:9209 (metres, 3 decimals) by
:meth:`gis.ogc.crs.OgcCrs.reproject_features`, the one case where the page is parsed.

Pages are run without a server-side prepared statement (:func:`planned_each_time`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import NotFoundError
from gis.ogc.collections import Collection
from gis.ogc.cql2 import FilterSql
from gis.ogc.crs import CRS84, OgcCrs
from gis.ogc.params import BoxParam, When
from gis.ogc.relations import Relation, relation


@dataclass(frozen=True)
class ItemsQuery:
    """What ``/items`` asks for; ``after`` is the keyset cursor of a ``next`` link (the last id
    of the page before), ``before`` that of a ``prev`` link (the first id of the page after)."""

    bbox: BoxParam | None = None
    when: When | None = None
    crs: OgcCrs = CRS84
    filter: FilterSql | None = None
    limit: int = 10
    after: int = 0
    before: int | None = None
    #: The session is confined by row-level security (an operator's user).
    scoped: bool = False


@dataclass(frozen=True)
class ItemsPage:
    """``features``: the Feature texts joined by commas; ``next_after`` / ``prev_before``: the
    cursors of the ``next`` and ``prev`` links (None: no such page)."""

    features: str
    returned: int
    next_after: int | None
    prev_before: int | None


def _page(query: ItemsQuery, features: str, returned: int, first: int | None,
          last: int | None, more: bool) -> ItemsPage:
    """The page and its neighbours' cursors, from the statement's row."""
    if query.before is None:  # forward: rows after ``after``
        prev_before = (first if returned else query.after + 1) if query.after > 0 else None
        return ItemsPage(features, returned, last if more else None, prev_before)
    next_after = last if returned else query.before - 1
    return ItemsPage(features, returned, next_after, first if more else None)


def feature_sql(collection: Collection, crs: OgcCrs) -> str:
    """SQL of the GeoJSON Feature text of the row ``p`` of ``collection`` (geometry in ``crs``,
    null without one)."""
    properties = " || ',' || ".join(
        f"""'"{prop.name}":' || {prop.json_sql}""" for prop in collection.properties)
    return ("""'{"type":"Feature","id":' || p.id || ',"geometry":' || """
            f"coalesce({crs.output_sql('p.geom')}, 'null')"
            f""" || ',"properties":{{' || {properties} || '}}}}'""")


def _where(found: Relation, query: ItemsQuery, collection: Collection) -> list[str]:
    conditions = list(found.conditions)
    if query.bbox is not None:
        envelope, params = query.bbox.envelope_sql()
        conditions.append(collection.spatial_sql(envelope, scoped=query.scoped))
        found.params.update(params)
    if query.filter is not None:
        conditions.append(query.filter.sql)
        found.params.update(query.filter.params)
    return conditions


def items_sql(collection: Collection, found: Relation, query: ItemsQuery) -> str:
    """The page statement: one row (features joined, how many, first and last id, whether more
    follow in the direction of the page). The bbox's and the filter's parameters are added to
    ``found.params``."""
    forward = query.before is None
    cursor = "p.id > :after" if forward else "p.id < :before"
    order = "" if forward else " DESC"
    where = " AND ".join([*_where(found, query, collection), cursor])
    return f"""
    WITH page AS (
      SELECT p.id, {feature_sql(collection, query.crs)} AS feature
        FROM {found.sql}
       WHERE {where}
       ORDER BY p.id{order}
       LIMIT :fetch),
    numbered AS (SELECT id, feature, row_number() OVER (ORDER BY id{order}) AS n FROM page)
    SELECT coalesce(string_agg(feature, ',' ORDER BY id) FILTER (WHERE n <= :limit), ''),
           count(*) FILTER (WHERE n <= :limit), min(id) FILTER (WHERE n <= :limit),
           max(id) FILTER (WHERE n <= :limit), count(*) > :limit
      FROM numbered"""


def list_items(
    session: Session, collection: Collection, query: ItemsQuery, *, stale_after_days: int
) -> ItemsPage:
    """One page of ``collection``'s features passing ``query``, by id."""
    found = relation(session, collection, query.when, stale_after_days=stale_after_days)
    sql = items_sql(collection, found, query)
    params = {**found.params, "after": query.after, "before": query.before,
              "limit": query.limit, "fetch": query.limit + 1}
    with planned_each_time(session):
        features, returned, first, last, more = session.execute(text(sql), params).one()
    return _page(query, query.crs.reproject_features(features), returned, first, last, more)


@contextmanager
def planned_each_time(session: Session) -> Iterator[None]:
    """Run the statements inside without a server-side prepared statement, so PostgreSQL plans
    each page for its own values. psycopg prepares a statement on its fifth use on a
    connection, and PostgreSQL then keeps one generic plan for all values: for the bbox page
    it walked the ids for a street-sized box (100 ms instead of 15) or sorted the whole table
    for a province-wide one (14 s instead of 10 ms for limit=10, at 1,000,000 segments)."""
    dbapi = session.connection().connection.dbapi_connection
    if not hasattr(dbapi, "prepare_threshold"):  # not psycopg 3: nothing is prepared
        yield
        return
    saved = dbapi.prepare_threshold
    dbapi.prepare_threshold = None
    try:
        yield
    finally:
        dbapi.prepare_threshold = saved


def get_item(
    session: Session, collection: Collection, feature_id: int, crs: OgcCrs = CRS84, *,
    stale_after_days: int,
) -> str:
    """The Feature text of ``feature_id`` (segments: today's state). NotFoundError when it does
    not exist or the caller may not see it."""
    found = relation(session, collection, None, stale_after_days=stale_after_days)
    where = " AND ".join([*found.conditions, "p.id = :feature_id"])
    sql = f"SELECT {feature_sql(collection, crs)} FROM {found.sql} WHERE {where}"
    feature = session.scalar(text(sql), {**found.params, "feature_id": feature_id})
    if feature is None:
        raise NotFoundError(f"{collection.id} has no feature {feature_id} (or it is not "
                            "visible to you)")
    return crs.reproject_features(feature)


def with_members(feature_or_collection: str, **members: object) -> str:
    """Append JSON ``members`` to a JSON object text (its last character is ``}``)."""
    extra = "".join(f",{json.dumps(name)}:{json.dumps(value, ensure_ascii=False, default=str)}"
                    for name, value in members.items())
    return feature_or_collection[:-1] + extra + "}"


def timestamp() -> str:
    """The response time (``timeStamp``), RFC 3339 in UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
