"""Writing validated rows: straight COPY for a new source, else staging and set-based merging.

A source with no segments yet (a first import) is COPYed straight into ``cable_segments``: every
row is new. The database's triggers still do their part (commune by spatial join, the first
history row of each segment). When the import adds at least as many segments as the table holds
it is a bulk load (:mod:`gis.importers.bulk`): secondary indexes and foreign keys are rebuilt
once after the rows are in, inside the same transaction.

Otherwise (all inside the caller's transaction; the pipeline wraps them in a SAVEPOINT):

1. routes named by the rows are created, or their name/street/tier updated when the file gives
   them (a new route's tier defaults to ``drop``);
2. the rows are COPYed into ``pg_temp`` staging (geometry as hex EWKB, EPSG:4326);
3. existing segments (same source and source_fid) whose state in force on the row's date differs
   from the file get a new ``segment_states`` row; the database's trigger updates their current
   columns. A field the file does not give (tidied, lifecycle, kind) keeps its value;
4. new segments are inserted with their state (the database writes their first history row);
   existing ones get their geometry, operator and route updated when those differ.

Rows touched by 3 or 4 count as updated; untouched existing rows as unchanged.

Sorts and hashes get more memory while 3 and 4 run (restored afterwards; a rollback undoes it
too). The history trigger plans its own statement afresh each time (migration 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Text, any_, cast, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gis.choices import Lifecycle, RouteTier
from gis.crs import STORAGE_EPSG
from gis.history import state_row_sql
from gis.importers import bulk
from gis.importers.copying import arrow_columns, copy_table, hex_ewkb
from gis.models import CableRoute, CableSegment
from gis.progress import ProgressFn

STAGING = "telecom_gis_import_staging"
TOUCHED = "telecom_gis_import_touched"
CHANGES = "telecom_gis_import_changes"

#: Settings while merging (see the module docstring); restored afterwards.
_MERGE_SETTINGS = {"work_mem": "128MB"}

_STAGED_COLUMNS = (
    "row_no",
    "source_fid",
    "operator_id",
    "route_code",
    "placement",
    "kind_given",
    "kind_default",
    "tidied",
    "lifecycle",
    "state_date",
    "geom",
)

_CREATE_STAGING = f"""
CREATE TEMP TABLE {STAGING} (
  row_no bigint NOT NULL, source_fid text NOT NULL, operator_id integer NOT NULL,
  route_code text, placement text NOT NULL, kind_given text, kind_default text NOT NULL,
  tidied boolean, lifecycle text, state_date date, geom geometry NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE {TOUCHED} (segment_id bigint NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE {CHANGES} (
  segment_id bigint NOT NULL, effective_date date NOT NULL, placement text NOT NULL,
  placement_kind text NOT NULL, tidied boolean NOT NULL, lifecycle text NOT NULL
) ON COMMIT DROP
"""

_UPDATE_ROUTES = """
UPDATE cable_routes r
   SET name = coalesce(i.name, r.name), street = coalesce(i.street, r.street),
       tier = coalesce(i.tier, r.tier)
  FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]), CAST(:streets AS text[]),
              CAST(:tiers AS text[])) AS i(code, name, street, tier)
 WHERE r.code = i.code
   AND (r.name, r.street, r.tier) IS DISTINCT FROM
       (coalesce(i.name, r.name), coalesce(i.street, r.street), coalesce(i.tier, r.tier))
"""

_INSERT_ROUTES = """
INSERT INTO cable_routes (code, name, operator_id, street, tier)
SELECT code, name, operator_id, street, coalesce(tier, :default_tier)
  FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]), CAST(:operators AS integer[]),
              CAST(:streets AS text[]), CAST(:tiers AS text[]))
       AS i(code, name, operator_id, street, tier)
ON CONFLICT (code) DO NOTHING
"""

# The state in force on a row's date is the segment's current state when the date is on or
# after its state_since; otherwise it is looked up in the history.
_FIND_STATE_CHANGES = f"""
WITH matched AS (
  SELECT c.id AS segment_id, coalesce(s.state_date, :effective_date) AS eff, s.placement,
         s.kind_given, s.kind_default, s.tidied, s.lifecycle, c.state_since,
         c.placement AS p0, c.placement_kind AS k0, c.tidied AS t0, c.lifecycle AS l0
    FROM {STAGING} s
    JOIN cable_segments c ON c.source = :source AND c.source_fid = s.source_fid
), in_force AS (
  SELECT segment_id, eff, placement, kind_given, kind_default, tidied, lifecycle, p0, k0, t0, l0
    FROM matched WHERE eff >= state_since
  UNION ALL
  SELECT m.segment_id, m.eff, m.placement, m.kind_given, m.kind_default, m.tidied, m.lifecycle,
         h.placement, h.placement_kind, h.tidied, h.lifecycle
    FROM matched m
    LEFT JOIN LATERAL ({state_row_sql(
        "m.segment_id", "m.eff", "h.placement, h.placement_kind, h.tidied, h.lifecycle")}) h
      ON true
   WHERE m.eff < m.state_since
), wanted AS (
  SELECT segment_id, eff, p0, k0, t0, l0, placement AS p1,
         coalesce(kind_given, CASE WHEN placement = p0 THEN k0 END, kind_default) AS k1,
         coalesce(tidied, t0, false) AS t1,
         coalesce(lifecycle, l0, :default_lifecycle) AS l1
    FROM in_force
)
INSERT INTO {CHANGES} (segment_id, effective_date, placement, placement_kind, tidied, lifecycle)
SELECT segment_id, eff, p1, k1, t1, l1
  FROM wanted
 WHERE (p1, k1, t1, l1) IS DISTINCT FROM (p0, k0, t0, l0)
"""

_RECORD_STATE_CHANGES = f"""
INSERT INTO segment_states (segment_id, effective_date, placement, placement_kind, tidied,
                            lifecycle, source, note)
SELECT segment_id, effective_date, placement, placement_kind, tidied, lifecycle, :source, :note
  FROM {CHANGES};
INSERT INTO {TOUCHED} (segment_id) SELECT segment_id FROM {CHANGES}
"""

# Existing segments whose geometry, operator or route differ; their ids go to the touched table.
# (An UPDATE of only the rows that differ: INSERT ... ON CONFLICT DO UPDATE would lock, and so
# write, every existing row even when nothing changes.)
_UPDATE_SEGMENTS = f"""
WITH updated AS (
  UPDATE cable_segments c
     SET operator_id = s.operator_id, route_id = coalesce(r.id, c.route_id),
         geom = ST_SetSRID(s.geom, {STORAGE_EPSG})
    FROM {STAGING} s
    LEFT JOIN cable_routes r ON r.code = s.route_code
   WHERE c.source = :source AND c.source_fid = s.source_fid
     AND (c.operator_id, c.route_id, c.geom)
         IS DISTINCT FROM
         (s.operator_id, coalesce(r.id, c.route_id), ST_SetSRID(s.geom, {STORAGE_EPSG}))
  RETURNING c.id
)
INSERT INTO {TOUCHED} (segment_id) SELECT id FROM updated
"""

# New segments with their state (the database writes their first history row).
_INSERT_SEGMENTS = f"""
INSERT INTO cable_segments (source, source_fid, operator_id, route_id, placement, placement_kind,
                            tidied, lifecycle, state_since, geom)
SELECT :source, s.source_fid, s.operator_id, r.id, s.placement,
       coalesce(s.kind_given, s.kind_default), coalesce(s.tidied, false),
       coalesce(s.lifecycle, :default_lifecycle), coalesce(s.state_date, :effective_date),
       ST_SetSRID(s.geom, {STORAGE_EPSG})
  FROM {STAGING} s
  LEFT JOIN cable_routes r ON r.code = s.route_code
 WHERE NOT EXISTS (SELECT 1 FROM cable_segments c
                    WHERE c.source = :source AND c.source_fid = s.source_fid)
"""

_COUNT_UPDATED = f"SELECT count(DISTINCT segment_id) FROM {TOUCHED}"


@dataclass(frozen=True)
class WriteCounts:
    """What writing did to the segments of the file."""

    inserted: int
    updated: int
    unchanged: int


def write_rows(
    session: Session,
    rows: pd.DataFrame,
    *,
    source: str,
    effective_date: date,
    note: str,
    progress: ProgressFn,
) -> WriteCounts:
    """Write validated rows (see :mod:`gis.importers.validation`) for dataset ``source``."""
    session.flush()
    _upsert_routes(session, rows)
    if not _source_exists(session, source):
        _insert_new_source(session, rows, source, effective_date, progress)
        session.expire_all()
        return WriteCounts(inserted=len(rows), updated=0, unchanged=0)
    return _merge(
        session, rows, source=source, effective_date=effective_date, note=note, progress=progress
    )


def _source_exists(session: Session, source: str) -> bool:
    return session.execute(
        select(select(CableSegment.id).where(CableSegment.source == source).exists())
    ).scalar_one()


def _insert_new_source(
    session: Session,
    rows: pd.DataFrame,
    source: str,
    effective_date: date,
    progress: ProgressFn,
) -> None:
    """COPY the rows of a source that has no segments yet straight into cable_segments.

    A new segment's values are those :data:`_INSERT_SEGMENTS` gives it: the file's, else the
    placement's default kind, not tidied, active, and the import's effective date.
    """
    route_ids = _route_ids(session, rows["route_code"])
    columns = arrow_columns(
        {
            "source": (np.full(len(rows), source, dtype=object), pa.string()),
            "source_fid": (rows["source_fid"], pa.string()),
            "operator_id": (rows["operator_id"], pa.int32()),
            "route_id": (rows["route_code"].map(route_ids), pa.int32()),
            "placement": (rows["placement"], pa.string()),
            "placement_kind": (rows["kind_given"].fillna(rows["kind_default"]), pa.string()),
            "tidied": (rows["tidied"].fillna(False), pa.bool_()),
            "lifecycle": (rows["lifecycle"].fillna(Lifecycle.ACTIVE.value), pa.string()),
            "state_since": (rows["state_date"].fillna(effective_date), pa.date32()),
            "geom": (hex_ewkb(rows["geom"].to_numpy(dtype=object), STORAGE_EPSG), None),
        }
    )
    if bulk.worth_it(session, len(rows)):
        with bulk.indexes_rebuilt_after(session, progress):
            copy_table(session, "cable_segments", columns, progress)
    else:
        copy_table(session, "cable_segments", columns, progress)


def _route_ids(session: Session, codes: pd.Series) -> dict[str, int]:
    wanted = codes.dropna().unique().tolist()
    if not wanted:
        return {}
    found = session.execute(
        select(CableRoute.code, CableRoute.id).where(
            CableRoute.code == any_(cast(wanted, ARRAY(Text)))
        )
    )
    return {code: route_id for code, route_id in found}


def _merge(
    session: Session,
    rows: pd.DataFrame,
    *,
    source: str,
    effective_date: date,
    note: str,
    progress: ProgressFn,
) -> WriteCounts:
    """Stage the rows, then record state changes and upsert segments set-based."""
    for statement in _CREATE_STAGING.split(";"):
        session.execute(text(statement))
    _copy_staging(session, rows, progress)
    params = {
        "source": source,
        "effective_date": effective_date,
        "note": note,
        "default_lifecycle": Lifecycle.ACTIVE.value,
    }
    progress("merging", 0, 4)
    session.execute(text(f"ANALYZE {STAGING}"))
    progress("merging", 1, 4)
    session.execute(text(_FIND_STATE_CHANGES), params)
    progress("merging", 2, 4)
    previous = {
        name: session.execute(text("SELECT current_setting(:name)"), {"name": name}).scalar_one()
        for name in _MERGE_SETTINGS
    }
    for name, value in _MERGE_SETTINGS.items():
        _set_local(session, name, value)
    for statement in _RECORD_STATE_CHANGES.split(";"):
        session.execute(text(statement), params)
    progress("merging", 3, 4)
    session.execute(text(_UPDATE_SEGMENTS), params)
    inserted = session.execute(text(_INSERT_SEGMENTS), params).rowcount
    progress("merging", 4, 4)
    for name, value in previous.items():
        _set_local(session, name, value)
    updated = session.execute(text(_COUNT_UPDATED)).scalar_one()
    session.execute(text(f"DROP TABLE {STAGING}, {TOUCHED}, {CHANGES}"))
    session.expire_all()
    return WriteCounts(inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated)


def _set_local(session: Session, name: str, value: str) -> None:
    """Set a planner setting for the rest of the transaction (undone by a rollback)."""
    session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def _upsert_routes(session: Session, rows: pd.DataFrame) -> None:
    named = rows[rows["route_code"].notna()]
    if named.empty:
        return
    routes = named.groupby("route_code", sort=False).agg(
        operator_id=("operator_id", "first"),
        name=("route_name", "first"),
        street=("street", "first"),
        tier=("tier", "first"),
    )
    params = {
        "codes": routes.index.tolist(),
        "operators": [int(v) for v in routes["operator_id"]],
        "names": _nullable(routes["name"]),
        "streets": _nullable(routes["street"]),
        "tiers": _nullable(routes["tier"]),
        "default_tier": RouteTier.DROP.value,
    }
    session.execute(text(_UPDATE_ROUTES), params)
    session.execute(text(_INSERT_ROUTES), params)


def _nullable(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


def _copy_staging(session: Session, rows: pd.DataFrame, progress: ProgressFn) -> None:
    """COPY the rows into the staging table (geometry as hex EWKB, EPSG:4326)."""
    types = {
        "row_no": pa.int64(),
        "operator_id": pa.int32(),
        "tidied": pa.bool_(),
        "state_date": pa.date32(),
    }
    columns = {
        name: (rows[name], types.get(name, pa.string()))
        for name in _STAGED_COLUMNS
        if name != "geom"
    }
    columns["geom"] = (hex_ewkb(rows["geom"].to_numpy(dtype=object), STORAGE_EPSG), None)
    copy_table(session, STAGING, arrow_columns(columns), progress)
