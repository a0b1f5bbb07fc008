"""Record an inspection visit: one segment, one inspector, one result per applicable checklist
item, announced photos, and the violations the results open or close. All in the caller's
transaction (the writes, one statement, inside a savepoint unless the caller's transaction ends
with any error, so a failure leaves nothing behind). The SQL is in
:mod:`gis.compliance.visit_store`.

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
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.auth import ForbiddenError, Principal, require_role
from gis.choices import ItemResult, Lifecycle, Role
from gis.compliance import visit_violations
from gis.compliance.campaigns import campaign_for_visit
from gis.compliance.catalogue import CatalogueVersion, version_by_id
from gis.compliance.rules import local_date
from gis.compliance.snapping import check_position, snap_position
from gis.compliance.visit_errors import (
    FieldIssue,
    InvalidVisitError,
    ReferenceNotFoundError,
    VisitConflictError,
    text_issues,
)
from gis.compliance.visit_queries import VisitView
from gis.compliance.visit_results import check_results
from gis.compliance.visit_store import NewVisit, VisitFacts, visit_facts, write_visit
from gis.models import CableSegment, Inspection
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
    """The recorded (or replayed) visit and the violation ids it opened, closed, withdrew;
    ``view`` is a newly recorded visit in full (None when replayed: read it, it may have
    changed since)."""

    inspection: Inspection
    replayed: bool
    opened: list[int]
    closed: list[int]
    withdrawn: list[int]
    view: VisitView | None = None


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


def _corrected(session: Session, principal: Principal, visit: VisitInput,
               segment_id: int) -> Inspection | None:
    if visit.corrects_id is None:
        return None
    corrected = session.get(Inspection, visit.corrects_id)
    if corrected is None:
        raise ReferenceNotFoundError("corrects_id", f"visit {visit.corrects_id} does not exist")
    if corrected.segment_id != segment_id:
        raise VisitConflictError(
            "corrects_id",
            f"visit {corrected.id} was of segment {corrected.segment_id}, not {segment_id}; "
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


def _version(session: Session, version_id: int | None, facts: VisitFacts,
             on: date) -> CatalogueVersion:
    if version_id is not None:
        return version_by_id(session, version_id)
    if facts.version is None:
        raise InvalidVisitError.one(
            "visited_at", f"no checklist version is in force on {on.isoformat()}")
    return facts.version


def record_visit(
    session: Session, principal: Principal, visit: VisitInput, settings: Settings,
    *, savepoint: bool = True,
) -> VisitOutcome:
    """Record ``visit`` by ``principal`` (see the module docstring for every rule).

    The writes run inside a savepoint, so after a failure the caller's transaction goes on
    without them. ``savepoint=False`` is for a caller whose transaction ends with any error
    (an API request): it saves two round trips, and a failure still leaves nothing (the
    visit's writes are one statement; a correction's withdrawal then dies with the
    transaction).

    Raises ``ForbiddenError`` (role, campaign assignment, someone else's visit corrected),
    :class:`ReferenceNotFoundError` (segment, campaign or corrected visit unknown),
    :class:`InvalidVisitError` listing every invalid field, :class:`AmbiguousPositionError`,
    or :class:`VisitConflictError` (idempotency key reused, visit already corrected).
    """
    require_role(principal, Role.INSPECTOR, Role.ADMIN)
    visit, coercion_issues = _normalised(visit)
    now = lock_idempotency_key(session, visit.idempotency_key)
    fingerprint = visit_fingerprint(visit)
    issues = coercion_issues + _basic_issues(visit, now)
    on = None if issues else local_date(visit.visited_at)
    # One statement: the key's visit, and (given by id) the segment, locked for derivation.
    facts = visit_facts(session, visit.idempotency_key, visit.segment_id, on)
    if facts.existing_id is not None:
        existing = session.get(Inspection, facts.existing_id)
        assert existing is not None
        return _replay(session, principal, existing, fingerprint)
    if issues or on is None:
        raise InvalidVisitError.many(issues)
    snap = None
    if visit.segment_id is None:
        snap = snap_position(
            session, float(visit.lon), float(visit.lat), on=on,  # type: ignore[arg-type]
            radius_m=visit.snap_radius_m or settings.snap_radius_m,
            ambiguity_m=settings.snap_ambiguity_m,
        )
        facts = visit_facts(session, None, snap.segment_id, on)
    segment_field = "segment_id" if snap is None else "position"
    segment_id = facts.segment_id
    if segment_id is None or facts.operator_id is None or facts.operator_code is None:
        raise ReferenceNotFoundError("segment_id", f"segment {visit.segment_id} does not exist")
    if facts.lifecycle is None or facts.placement is None:
        raise InvalidVisitError.one(
            "visited_at", f"segment {segment_id} did not exist yet on {on.isoformat()}")
    if facts.lifecycle != Lifecycle.ACTIVE.value:
        raise InvalidVisitError.one(
            segment_field, f"segment {segment_id} was {facts.lifecycle} on {on.isoformat()}, "
                           "not active; only cable in service is inspected")
    campaign = None
    if visit.campaign_id is not None:
        segment = session.get(CableSegment, segment_id)
        assert segment is not None
        campaign = campaign_for_visit(session, principal, visit.campaign_id, segment, on,
                                      segment_field=segment_field)
    version = _version(session, campaign.checklist_version_id if campaign else None, facts, on)
    result_issues, matched = check_results(version, facts.placement, visit.results)
    if result_issues:
        raise InvalidVisitError.many(result_issues, f"the results (checklist {version.code})")
    # The segment is locked (visit_facts): two corrections of one visit then serialise, and
    # the second sees the first instead of failing on corrects_id's UNIQUE.
    corrected = _corrected(session, principal, visit, segment_id)
    new = NewVisit(
        segment_id=segment_id, operator_id=facts.operator_id, operator_code=facts.operator_code,
        inspector_id=principal.user_id, inspector=principal.username,
        visited_at=visit.visited_at, local_date=on, placement=facts.placement,
        version=version, results=matched,  # type: ignore[arg-type]
        lon=visit.lon, lat=visit.lat, accuracy_m=visit.accuracy_m,
        snapped_distance_m=snap.distance_m if snap else None, note=visit.note,
        photos_expected=visit.photos_expected, idempotency_key=visit.idempotency_key,
        request_sha256=fingerprint,
        campaign_id=campaign.id if campaign else None,
        campaign_code=campaign.code if campaign else None,
        corrects_id=corrected.id if corrected else None,
        correction_reason=visit.correction_reason if corrected else None,
    )
    with session.begin_nested() if savepoint else nullcontext():
        withdrawn = (visit_violations.withdraw_opened_by(session, corrected.id)
                     if corrected else [])
        view = write_visit(session, new, withdrawn)
    return VisitOutcome(view.inspection, False, [v.id for v in view.opened],
                        [v.id for v in view.closed], [v.id for v in view.withdrawn], view)
