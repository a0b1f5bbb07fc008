"""The database side of recording a visit, in as few round trips as the rules allow.

* :func:`visit_facts` reads in one statement what the checks of :mod:`gis.compliance.visits`
  need: the visit an idempotency key already recorded, the segment with its operator and its
  state on the visit's local date, and the checklist version in force then (its items come
  from :func:`gis.compliance.catalogue.version_snapshot`). Given a segment, the same statement
  takes the segment's derivation lock (:func:`gis.compliance.visit_violations.lock_sql`).
* :func:`write_visit` inserts the visit, its results and the violations they open and close in
  one statement (so a failure leaves nothing behind) and returns the visit as
  ``GET /inspections/{id}`` shows it, built from what was written instead of read back.

Positions are WGS 84 (EPSG:4326); dates are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import text
from sqlalchemy.orm import Session, make_transient_to_detached

from gis.choices import ItemResult, ViolationState
from gis.compliance import visit_violations
from gis.compliance.catalogue import (
    SNAPSHOT_COLUMNS,
    CatalogueItem,
    CatalogueVersion,
    in_force_sql,
    version_snapshot,
)
from gis.compliance.photos import is_complete
from gis.compliance.visit_queries import ResultView, ViolationRef, VisitView
from gis.history import state_row_sql
from gis.models import Inspection

_FACTS_SQL = text(f"""
    SELECT (SELECT i.id FROM inspections i WHERE i.idempotency_key = :key) AS existing_id,
           s.id AS segment_id, s.operator_id, o.code AS operator_code,
           st.lifecycle, st.placement, {SNAPSHOT_COLUMNS},
           CASE WHEN s.id IS NOT NULL THEN {visit_violations.lock_sql('s.id')} END AS locked
      FROM (SELECT 1) AS one
      LEFT JOIN cable_segments s ON s.id = :segment_id
      LEFT JOIN operators o ON o.id = s.operator_id
      LEFT JOIN LATERAL ({state_row_sql('s.id', ':on', 'h.lifecycle, h.placement')}) st ON true
      LEFT JOIN LATERAL ({in_force_sql(':on', 'v.*')}) v ON true
""")

#: Every column of ``inspections`` but the position (the caller has it as lon/lat).
_VISIT_COLUMNS = (
    "id", "campaign_id", "segment_id", "operator_id", "inspector_id", "visited_at", "placement",
    "checklist_version_id", "position_accuracy_m", "snapped_distance_m", "note",
    "photos_expected", "corrects_id", "correction_reason", "idempotency_key", "request_sha256",
    "recorded_at", "recorded_by",
)

_WRITE_SQL = text(f"""
    WITH visit AS (
      INSERT INTO inspections (campaign_id, segment_id, operator_id, inspector_id, visited_at,
             placement, checklist_version_id, position, position_accuracy_m,
             snapped_distance_m, note, photos_expected, corrects_id, correction_reason,
             idempotency_key, request_sha256)
      VALUES (:campaign_id, :segment_id, :operator_id, :inspector_id, :visited_at, :placement,
              :version_id,
              ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326),
              :accuracy_m, :snapped_m, :note, :photos_expected, :corrects_id,
              :correction_reason, :key, :request_sha256)
      RETURNING {", ".join(_VISIT_COLUMNS)}
    ), results AS (
      INSERT INTO inspection_results (inspection_id, item_id, result, measured_value, note)
      SELECT visit.id, r.item_id, r.result, r.measured_value, r.note
        FROM visit, unnest(CAST(:item_ids AS integer[]), CAST(:results AS text[]),
                           CAST(:measured AS numeric[]), CAST(:notes AS text[]))
                    AS r(item_id, result, measured_value, note)
    ), {visit_violations.derivation_ctes("(SELECT id FROM visit)")}
    SELECT visit.*,
           ARRAY(SELECT id FROM opened ORDER BY id) AS opened_ids,
           ARRAY(SELECT item_id FROM opened ORDER BY id) AS opened_items,
           ARRAY(SELECT due_on FROM opened ORDER BY id) AS opened_due,
           ARRAY(SELECT id FROM closed ORDER BY id) AS closed_ids,
           ARRAY(SELECT code FROM closed ORDER BY id) AS closed_codes,
           ARRAY(SELECT due_on FROM closed ORDER BY id) AS closed_due
      FROM visit
""")


@dataclass(frozen=True)
class VisitFacts:
    """What :func:`visit_facts` read. Segment fields are None when there is no such segment;
    ``lifecycle``/``placement`` when it had no state yet on the date; ``version`` when no
    checklist version was in force then."""

    existing_id: int | None
    segment_id: int | None
    operator_id: int | None
    operator_code: str | None
    lifecycle: str | None
    placement: str | None
    version: CatalogueVersion | None


def visit_facts(session: Session, key: uuid.UUID | None, segment_id: int | None,
                on: date | None) -> VisitFacts:
    """The visit recorded with idempotency ``key``, the segment ``segment_id`` (locked for
    derivation) with its state on the local date ``on``, and the version in force on ``on``."""
    row = session.execute(_FACTS_SQL, {"key": key, "segment_id": segment_id, "on": on}).one()
    version = None
    if row.version_id is not None:
        version = version_snapshot(session, row.version_id, row.version_code,
                                   row.content_sha256, row.item_ids)
    return VisitFacts(row.existing_id, row.segment_id, row.operator_id, row.operator_code,
                      row.lifecycle, row.placement, version)


class ResultRow(Protocol):
    """One checked result (see :class:`gis.compliance.visits.ResultInput`)."""

    result: ItemResult
    measured_value: Decimal | None
    note: str | None


@dataclass(frozen=True)
class NewVisit:
    """A visit to write. ``results`` pairs each item with its result in the order given;
    ``lon``/``lat`` is the GPS fix (WGS 84); ``local_date`` the visit's local date."""

    segment_id: int
    operator_id: int
    operator_code: str
    inspector_id: int
    inspector: str
    visited_at: datetime
    local_date: date
    placement: str
    version: CatalogueVersion
    results: Sequence[tuple[CatalogueItem, ResultRow]]
    lon: float | None
    lat: float | None
    accuracy_m: float | None
    snapped_distance_m: float | None
    note: str | None
    photos_expected: int
    idempotency_key: uuid.UUID
    request_sha256: str
    campaign_id: int | None = None
    campaign_code: str | None = None
    corrects_id: int | None = None
    correction_reason: str | None = None


def write_visit(session: Session, visit: NewVisit,
                withdrawn: Sequence[tuple[int, str, date]] = ()) -> VisitView:
    """Insert ``visit`` with its results and derived violations in one statement; return it as
    :func:`gis.compliance.visit_queries.get_visit` would read it. ``withdrawn`` are the
    ``(id, code, due date)`` of the violations a correction withdrew just before."""
    results = visit.results
    row = session.execute(_WRITE_SQL, {
        "campaign_id": visit.campaign_id, "segment_id": visit.segment_id,
        "operator_id": visit.operator_id, "inspector_id": visit.inspector_id,
        "visited_at": visit.visited_at, "placement": visit.placement,
        "version_id": visit.version.id, "lon": visit.lon, "lat": visit.lat,
        "accuracy_m": visit.accuracy_m, "snapped_m": visit.snapped_distance_m,
        "note": visit.note, "photos_expected": visit.photos_expected,
        "corrects_id": visit.corrects_id, "correction_reason": visit.correction_reason,
        "key": visit.idempotency_key, "request_sha256": visit.request_sha256,
        "item_ids": [item.id for item, _ in results],
        "results": [r.result.value for _, r in results],
        "measured": [r.measured_value for _, r in results],
        "notes": [r.note for _, r in results],
        "local_date": visit.local_date,
        **visit_violations.derivation_params([(item, r.result) for item, r in results]),
    }).one()
    inspection = _persistent(session, row, visit)
    codes = {item.id: item.code for item in visit.version.items}
    return VisitView(
        inspection=inspection, operator=visit.operator_code, inspector=visit.inspector,
        campaign=visit.campaign_code, checklist_version=visit.version.code,
        lon=visit.lon, lat=visit.lat,
        results=[
            ResultView(item.code, item.text_vi, item.text_en, item.severity, r.result.value,
                       r.measured_value, item.measure_unit, r.note)
            for item, r in sorted(results, key=lambda pair: pair[0].position)
        ],
        photos={}, complete=is_complete(visit.photos_expected, 0), corrected_by_id=None,
        opened=[ViolationRef(int(i), codes[item], due, ViolationState.OPEN.value)
                for i, item, due in zip(row.opened_ids, row.opened_items, row.opened_due,
                                        strict=True)],
        closed=[ViolationRef(int(i), code, due, ViolationState.CLOSED.value)
                for i, code, due in zip(row.closed_ids, row.closed_codes, row.closed_due,
                                        strict=True)],
        withdrawn=[ViolationRef(i, code, due, ViolationState.WITHDRAWN.value)
                   for i, code, due in withdrawn],
    )


def _persistent(session: Session, row, visit: NewVisit) -> Inspection:
    """The inserted row as a persistent :class:`Inspection` of ``session`` (no query)."""
    values = {column: getattr(row, column) for column in _VISIT_COLUMNS}
    inspection = Inspection(
        **values,
        position=(from_shape(Point(visit.lon, visit.lat), srid=4326)
                  if visit.lon is not None and visit.lat is not None else None))
    make_transient_to_detached(inspection)
    session.add(inspection)
    return inspection

