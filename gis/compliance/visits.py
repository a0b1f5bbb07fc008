"""Record an inspection visit: one segment, one inspector, one result per applicable checklist
item, announced photos, and the violations the results open or close. All in the caller's
transaction (inside a savepoint, so a failure leaves nothing behind).

Rules (see also :mod:`gis.compliance.visit_results` and :mod:`gis.compliance.visit_violations`):

* Idempotency: the key is locked with ``pg_advisory_xact_lock`` (two requests with one key are
  serialised), then looked up. The same key with the same :func:`visit_fingerprint` returns the
  original visit (``replayed``); with another body, or from another user, it is a conflict.
* Only inspectors and admins record visits.
* The segment is given by id, or found by snapping the GPS fix (WGS 84 lon/lat) to the nearest
  segment active on the visit date within ``snap_radius_m`` metres (refused when ambiguous).
* ``visited_at`` is timezone-aware, not in the future (5 minutes of clock skew allowed), and on
  a local date (Asia/Ho_Chi_Minh) when the segment existed and was active.
* Checklist: the campaign's version, else the version in force on the visit's local date; the
  items are those applicable to the segment's placement on that date (from its history).
* A correction (``corrects_id`` + ``correction_reason``) is a new visit of the same segment; the
  corrected visit's unresolved violations are withdrawn and the correction derives afresh.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from gis.auth import ForbiddenError, Principal, require_role
from gis.choices import ItemResult, Lifecycle, Role
from gis.compliance import visit_violations
from gis.compliance.campaigns import campaign_for_visit
from gis.compliance.catalogue import version_in_force
from gis.compliance.rules import local_date
from gis.compliance.snapping import Snap, check_position, snap_position
from gis.compliance.visit_errors import (
    FieldIssue,
    InvalidVisitError,
    ReferenceNotFoundError,
    VisitConflictError,
    text_issues,
)
from gis.compliance.visit_results import check_results
from gis.errors import NotFoundError
from gis.history import state_as_of
from gis.models import CableSegment, ChecklistVersion, Inspection, InspectionResult
from gis.settings import Settings

#: How far in the future ``visited_at`` may be (clocks of field devices drift).
CLOCK_SKEW = timedelta(minutes=5)
#: Most photos one visit may announce (the database allows 50).
MAX_PHOTOS = 50
#: Largest snapping radius a client may ask for, in metres.
MAX_SNAP_RADIUS_M = 500.0


@dataclass(frozen=True)
class ResultInput:
    """One checklist result: item code, result, measured value (item's unit), note."""

    item: str
    result: ItemResult
    measured_value: Decimal | None = None
    note: str | None = None


@dataclass(frozen=True)
class VisitInput:
    """Everything a visit is recorded from. ``lon``/``lat`` are a WGS 84 (EPSG:4326) GPS fix
    with ``accuracy_m`` metres; with no ``segment_id`` the fix is snapped to a segment within
    ``snap_radius_m`` metres (default ``settings.snap_radius_m``)."""

    idempotency_key: uuid.UUID
    visited_at: datetime
    results: tuple[ResultInput, ...]
    segment_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    snap_radius_m: float | None = None
    campaign_id: int | None = None
    note: str | None = None
    photos_expected: int = 0
    corrects_id: int | None = None
    correction_reason: str | None = None


@dataclass(frozen=True)
class VisitOutcome:
    """The recorded (or replayed) visit and the violation ids it opened, closed, withdrew."""

    inspection: Inspection
    replayed: bool
    opened: list[int]
    closed: list[int]
    withdrawn: list[int]


def _canonical_decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if not value.is_finite():
        return str(value)
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


def _in_utc(moment: datetime) -> datetime | None:
    """``moment`` in UTC; None when it is naive or its UTC time falls outside years 1-9999."""
    if moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def visit_fingerprint(visit: VisitInput) -> str:
    """SHA-256 (hex) of a canonical form of everything in ``visit`` but its idempotency key.

    Equal inputs give equal fingerprints whatever the order of the results, the time zone
    ``visited_at`` is written in, or how a measured value is written (``10`` = ``10.0``).
    """
    visited_at = visit.visited_at
    utc = _in_utc(visited_at)
    moment = utc.isoformat() if utc is not None else visited_at.isoformat()
    results = sorted(
        ([r.item, str(r.result), _canonical_decimal(r.measured_value), r.note]
         for r in visit.results),
        key=lambda row: json.dumps(row),
    )
    canonical = {
        "visited_at": moment,
        "results": results,
        "segment_id": visit.segment_id,
        "lon": visit.lon, "lat": visit.lat, "accuracy_m": visit.accuracy_m,
        "snap_radius_m": visit.snap_radius_m,
        "campaign_id": visit.campaign_id,
        "note": visit.note,
        "photos_expected": visit.photos_expected,
        "corrects_id": visit.corrects_id,
        "correction_reason": visit.correction_reason,
    }
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def lock_idempotency_key(session: Session, key: uuid.UUID) -> datetime:
    """Take the transaction-level advisory lock of ``key``; return the transaction's ``now()``."""
    lock = int.from_bytes(key.bytes[:8], "big", signed=True)
    return session.execute(
        text("SELECT now() FROM (SELECT pg_advisory_xact_lock(:k)) AS locked"), {"k": lock}
    ).scalar_one()


def _normalised(visit: VisitInput) -> tuple[VisitInput, list[FieldIssue]]:
    """``visit`` with each result an :class:`ItemResult` and each measured value a Decimal
    (callers may pass ``"pass"`` or ``9.5``); values that cannot be converted are issues."""
    issues: list[FieldIssue] = []
    results = []
    for index, r in enumerate(visit.results):
        result, value = r.result, r.measured_value
        try:
            result = ItemResult(result)
        except ValueError:
            issues.append(FieldIssue(f"results[{index}].result",
                                     f"{result!r} is not one of pass, fail, not_checked"))
        if value is not None and not isinstance(value, Decimal):
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                issues.append(FieldIssue(f"results[{index}].measured_value",
                                         f"{value!r} is not a number"))
                value = None
        results.append(replace(r, result=result, measured_value=value))
    return replace(visit, results=tuple(results)), issues


def _basic_issues(visit: VisitInput, now: datetime) -> list[FieldIssue]:
    """Problems visible without the database: time, position, photos, correction pairing."""
    issues: list[FieldIssue] = []
    if visit.visited_at.tzinfo is None or visit.visited_at.utcoffset() is None:
        issues.append(FieldIssue("visited_at", "visited_at needs a time zone offset, "
                                               "e.g. 2024-05-02T09:30:00+07:00"))
    elif visit.visited_at > now + CLOCK_SKEW:
        issues.append(FieldIssue(
            "visited_at", f"visited_at {visit.visited_at.isoformat()} is in the future"))
    elif _in_utc(visit.visited_at) is None:
        issues.append(FieldIssue(
            "visited_at", f"visited_at {visit.visited_at.isoformat()} is out of range"))
    has_lon, has_lat = visit.lon is not None, visit.lat is not None
    if has_lon != has_lat:
        issues.append(FieldIssue("position", "a position needs both lon and lat"))
    elif has_lon:
        try:
            check_position(float(visit.lon), float(visit.lat))  # type: ignore[arg-type]
        except InvalidVisitError as exc:
            issues.extend(exc.problems)
    if visit.segment_id is None and not (has_lon and has_lat):
        issues.append(FieldIssue("segment_id", "give segment_id, or a position to snap"))
    if visit.accuracy_m is not None and not (
        math.isfinite(visit.accuracy_m) and visit.accuracy_m >= 0
    ):
        issues.append(FieldIssue("accuracy_m", "accuracy_m is metres, 0 or more"))
    if visit.snap_radius_m is not None and not (0 < visit.snap_radius_m <= MAX_SNAP_RADIUS_M):
        issues.append(FieldIssue("snap_radius_m",
                                 f"snap_radius_m must be over 0 and at most {MAX_SNAP_RADIUS_M:g}"))
    if not 0 <= visit.photos_expected <= MAX_PHOTOS:
        issues.append(FieldIssue("photos_expected",
                                 f"a visit announces 0 to {MAX_PHOTOS} photos"))
    reason = (visit.correction_reason or "").strip()
    if visit.corrects_id is not None and not reason:
        issues.append(FieldIssue("correction_reason", "a correction needs a reason"))
    if visit.corrects_id is None and visit.correction_reason is not None:
        issues.append(FieldIssue("corrects_id",
                                 "correction_reason is given but no visit is corrected"))
    texts = {"note": visit.note, "correction_reason": visit.correction_reason}
    for index, result in enumerate(visit.results):
        texts[f"results[{index}].item"] = result.item
        texts[f"results[{index}].note"] = result.note
    issues.extend(text_issues(texts))
    for index, result in enumerate(visit.results):
        value = result.measured_value
        if value is not None and not value.is_finite():
            issues.append(FieldIssue(f"results[{index}].measured_value",
                                     "measured_value must be a finite number"))
    return issues


def _replay(session: Session, principal: Principal, existing: Inspection,
            fingerprint: str) -> VisitOutcome:
    if existing.inspector_id != principal.user_id:
        raise VisitConflictError(
            "idempotency_key", "this idempotency key was already used by another user")
    if existing.request_sha256 != fingerprint:
        raise VisitConflictError(
            "idempotency_key",
            f"this idempotency key already recorded visit {existing.id} with a different body; "
            "use a new key for a new visit",
        )
    derived = visit_violations.derived_by(session, existing)
    return VisitOutcome(existing, True, derived.opened, derived.closed, derived.withdrawn)


def _segment(session: Session, visit: VisitInput, on: date,
             settings: Settings) -> tuple[CableSegment, Snap | None]:
    if visit.segment_id is not None:
        segment = session.get(CableSegment, visit.segment_id)
        if segment is None:
            raise ReferenceNotFoundError("segment_id",
                                         f"segment {visit.segment_id} does not exist")
        return segment, None
    snap = snap_position(
        session, float(visit.lon), float(visit.lat), on=on,  # type: ignore[arg-type]
        radius_m=visit.snap_radius_m or settings.snap_radius_m,
        ambiguity_m=settings.snap_ambiguity_m,
    )
    segment = session.get(CableSegment, snap.segment_id)
    assert segment is not None
    return segment, snap


def _corrected(session: Session, principal: Principal, visit: VisitInput,
               segment: CableSegment) -> Inspection | None:
    if visit.corrects_id is None:
        return None
    corrected = session.get(Inspection, visit.corrects_id)
    if corrected is None:
        raise ReferenceNotFoundError("corrects_id", f"visit {visit.corrects_id} does not exist")
    if corrected.segment_id != segment.id:
        raise VisitConflictError(
            "corrects_id",
            f"visit {corrected.id} was of segment {corrected.segment_id}, not {segment.id}; "
            "a correction is of the same segment",
        )
    later = session.scalar(select(Inspection.id).where(Inspection.corrects_id == corrected.id))
    if later is not None:
        raise VisitConflictError(
            "corrects_id",
            f"visit {corrected.id} was already corrected by visit {later}; correct that one",
        )
    if principal.role is not Role.ADMIN and corrected.inspector_id != principal.user_id:
        raise ForbiddenError(
            f"visit {corrected.id} was recorded by another inspector; only they or an admin "
            "may correct it")
    return corrected


def _version(session: Session, version_id: int | None, on: date) -> ChecklistVersion:
    if version_id is not None:
        version = session.get(ChecklistVersion, version_id)
        assert version is not None
        return version
    try:
        return version_in_force(session, on)
    except NotFoundError as exc:
        raise InvalidVisitError.one("visited_at", str(exc)) from exc


def record_visit(
    session: Session, principal: Principal, visit: VisitInput, settings: Settings
) -> VisitOutcome:
    """Record ``visit`` by ``principal`` (see the module docstring for every rule).

    Raises ``ForbiddenError`` (role, campaign assignment, someone else's visit corrected),
    :class:`ReferenceNotFoundError` (segment, campaign or corrected visit unknown),
    :class:`InvalidVisitError` listing every invalid field, :class:`AmbiguousPositionError`,
    or :class:`VisitConflictError` (idempotency key reused, visit already corrected).
    """
    require_role(principal, Role.INSPECTOR, Role.ADMIN)
    visit, coercion_issues = _normalised(visit)
    now = lock_idempotency_key(session, visit.idempotency_key)
    fingerprint = visit_fingerprint(visit)
    existing = session.scalar(
        select(Inspection).where(Inspection.idempotency_key == visit.idempotency_key))
    if existing is not None:
        return _replay(session, principal, existing, fingerprint)

    issues = coercion_issues + _basic_issues(visit, now)
    if issues:
        raise InvalidVisitError.many(issues)
    on = local_date(visit.visited_at)
    segment, snap = _segment(session, visit, on, settings)
    segment_field = "segment_id" if snap is None else "position"
    state = state_as_of(session, segment.id, on)
    if state is None:
        raise InvalidVisitError.one(
            "visited_at", f"segment {segment.id} did not exist yet on {on.isoformat()}")
    if state.lifecycle != Lifecycle.ACTIVE.value:
        raise InvalidVisitError.one(
            segment_field, f"segment {segment.id} was {state.lifecycle} on {on.isoformat()}, "
                           "not active; only cable in service is inspected")
    campaign = campaign_for_visit(session, principal, visit.campaign_id, segment, on,
                                  segment_field=segment_field)
    version = _version(session, campaign.checklist_version_id if campaign else None, on)
    result_issues, matched = check_results(version, state.placement, visit.results)
    if result_issues:
        raise InvalidVisitError.many(result_issues, f"the results (checklist {version.code})")
    # Before the correction is checked: two corrections of one visit (one segment) then
    # serialise, and the second sees the first instead of failing on corrects_id's UNIQUE.
    visit_violations.lock_segment(session, segment.id)
    corrected = _corrected(session, principal, visit, segment)

    with session.begin_nested():
        inspection = Inspection(
            campaign_id=campaign.id if campaign else None,
            segment_id=segment.id,
            operator_id=segment.operator_id,
            inspector_id=principal.user_id,
            visited_at=visit.visited_at,
            placement=state.placement,
            checklist_version_id=version.id,
            position=(from_shape(Point(visit.lon, visit.lat), srid=4326)
                      if visit.lon is not None and visit.lat is not None else None),
            position_accuracy_m=visit.accuracy_m,
            snapped_distance_m=snap.distance_m if snap else None,
            note=visit.note,
            photos_expected=visit.photos_expected,
            corrects_id=corrected.id if corrected else None,
            correction_reason=visit.correction_reason if corrected else None,
            idempotency_key=visit.idempotency_key,
            request_sha256=fingerprint,
        )
        session.add(inspection)
        session.flush()
        if matched:
            session.execute(insert(InspectionResult), [
                {"inspection_id": inspection.id, "item_id": item.id,
                 "result": result.result.value, "measured_value": result.measured_value,
                 "note": result.note}
                for item, result in matched
            ])
        withdrawn = (visit_violations.withdraw_opened_by(session, corrected.id)
                     if corrected else [])
        opened, closed = visit_violations.derive_violations(
            session, inspection, [(item, result.result) for item, result in matched], on)
    return VisitOutcome(inspection, False, opened, closed, withdrawn)
