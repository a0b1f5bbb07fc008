"""Read recorded visits: one visit in full, or a filtered, keyset-paginated list.

Row-level security applies: an operator's session sees only the visits of its own segments
(and, of the users, only inspectors: a visit an admin recorded shows no inspector name).
Dates in filters are local (Asia/Ho_Chi_Minh); positions are WGS 84 (EPSG:4326).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gis.compliance import visit_violations
from gis.compliance.photos import is_complete
from gis.compliance.rules import LOCAL_TZ
from gis.errors import NotFoundError
from gis.models import (
    Campaign,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    Operator,
    Photo,
    User,
    Violation,
)

_ZONE = ZoneInfo(LOCAL_TZ)


@dataclass(frozen=True)
class ResultView:
    """One checklist result with its item."""

    item: str
    text_vi: str
    text_en: str
    severity: str
    result: str
    measured_value: Decimal | None
    measure_unit: str | None
    note: str | None


@dataclass(frozen=True)
class ViolationRef:
    """A violation a visit opened, closed or withdrew, with its current state."""

    id: int
    item: str
    due_on: date
    state: str


@dataclass(frozen=True)
class VisitView:
    """A visit in full: who, where, which checklist, results, photo slots, violations."""

    inspection: Inspection
    operator: str
    inspector: str | None  # None when the caller may not see the user (operators: admins)
    campaign: str | None
    checklist_version: str
    lon: float | None
    lat: float | None
    results: list[ResultView]
    photos: dict[int, Photo]  # slot -> photo (missing slots are absent)
    complete: bool
    corrected_by_id: int | None
    opened: list[ViolationRef]
    closed: list[ViolationRef]
    withdrawn: list[ViolationRef]


@dataclass(frozen=True)
class VisitFilter:
    """Filters of :func:`list_visits` (None = any). Dates are local and inclusive."""

    segment_id: int | None = None
    campaign: str | None = None
    inspector: str | None = None
    visited_from: date | None = None
    visited_to: date | None = None
    complete: bool | None = None


@dataclass(frozen=True)
class VisitSummary:
    """One line of a visit list."""

    id: int
    segment_id: int
    operator: str
    inspector: str | None
    campaign: str | None
    visited_at: datetime
    checklist_version: str
    passed: int
    failed: int
    not_checked: int
    photos_expected: int
    photos_received: int
    complete: bool
    corrects_id: int | None
    corrected_by_id: int | None


def _refs(session: Session, ids: list[int]) -> dict[int, ViolationRef]:
    """The violations ``ids`` with their item and current state, by id."""
    if not ids:
        return {}
    rows = session.execute(
        select(Violation.id, ChecklistItem.code, Violation.due_on, Violation.state)
        .join(ChecklistItem, ChecklistItem.id == Violation.item_id)
        .where(Violation.id.in_(ids))
    ).all()
    return {int(r.id): ViolationRef(int(r.id), r.code, r.due_on, r.state) for r in rows}


def get_visit(session: Session, inspection_id: int) -> VisitView:
    """The visit ``inspection_id`` in full; NotFoundError when unknown or not visible."""
    row = session.execute(
        select(Inspection, Operator.code, User.username, Campaign.code, ChecklistVersion.code)
        .join(Operator, Operator.id == Inspection.operator_id)
        .outerjoin(User, User.id == Inspection.inspector_id)
        .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
        .outerjoin(Campaign, Campaign.id == Inspection.campaign_id)
        .where(Inspection.id == inspection_id)
    ).first()
    if row is None:
        raise NotFoundError(f"visit {inspection_id} does not exist")
    inspection, operator, inspector, campaign, version = row
    results = [
        ResultView(item.code, item.text_vi, item.text_en, item.severity, result.result,
                   result.measured_value, item.measure_unit, result.note)
        for result, item in session.execute(
            select(InspectionResult, ChecklistItem)
            .join(ChecklistItem, ChecklistItem.id == InspectionResult.item_id)
            .where(InspectionResult.inspection_id == inspection.id)
            .order_by(ChecklistItem.position)
        ).all()
    ]
    photos = {p.slot: p for p in session.scalars(
        select(Photo).where(Photo.inspection_id == inspection.id).order_by(Photo.slot))}
    corrected_by = session.scalar(
        select(Inspection.id).where(Inspection.corrects_id == inspection.id))
    lon = lat = None
    if inspection.position is not None:
        point = to_shape(inspection.position)
        lon, lat = float(point.x), float(point.y)
    derived = visit_violations.derived_by(session, inspection)
    refs = _refs(session, derived.opened + derived.closed + derived.withdrawn)
    return VisitView(
        inspection=inspection, operator=operator, inspector=inspector, campaign=campaign,
        checklist_version=version, lon=lon, lat=lat, results=results, photos=photos,
        complete=is_complete(inspection.photos_expected, len(photos)),
        corrected_by_id=int(corrected_by) if corrected_by is not None else None,
        opened=[refs[i] for i in derived.opened], closed=[refs[i] for i in derived.closed],
        withdrawn=[refs[i] for i in derived.withdrawn],
    )


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_ZONE)


def list_visits(session: Session, filters: VisitFilter, *, after: int | None = None,
                limit: int = 100) -> list[VisitSummary]:
    """Visits matching ``filters`` in id order, after id ``after`` (keyset), at most ``limit``.

    Unknown campaign codes or usernames simply match nothing.
    """
    i = Inspection
    later = aliased(Inspection)

    def count_results(value: str):
        return (select(func.count()).select_from(InspectionResult)
                .where(InspectionResult.inspection_id == i.id, InspectionResult.result == value)
                .scalar_subquery())

    received = (select(func.count()).select_from(Photo).where(Photo.inspection_id == i.id)
                .scalar_subquery())
    corrected_by = select(later.id).where(later.corrects_id == i.id).scalar_subquery()
    stmt = (
        select(i.id, i.segment_id, Operator.code.label("operator"),
               User.username.label("inspector"), Campaign.code.label("campaign"),
               i.visited_at, ChecklistVersion.code.label("version"),
               count_results("pass").label("passed"), count_results("fail").label("failed"),
               count_results("not_checked").label("not_checked"),
               i.photos_expected, received.label("received"), i.corrects_id,
               corrected_by.label("corrected_by"))
        .join(Operator, Operator.id == i.operator_id)
        .outerjoin(User, User.id == i.inspector_id)
        .join(ChecklistVersion, ChecklistVersion.id == i.checklist_version_id)
        .outerjoin(Campaign, Campaign.id == i.campaign_id)
        .order_by(i.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(i.id > after)
    if filters.segment_id is not None:
        stmt = stmt.where(i.segment_id == filters.segment_id)
    if filters.campaign is not None:
        stmt = stmt.where(Campaign.code == filters.campaign)
    if filters.inspector is not None:
        stmt = stmt.where(User.username == filters.inspector)
    if filters.visited_from is not None:
        stmt = stmt.where(i.visited_at >= _local_start(filters.visited_from))
    if filters.visited_to is not None:
        stmt = stmt.where(i.visited_at < _local_start(filters.visited_to + timedelta(days=1)))
    if filters.complete is True:
        stmt = stmt.where(received >= i.photos_expected)
    elif filters.complete is False:
        stmt = stmt.where(received < i.photos_expected)
    return [
        VisitSummary(
            id=int(r.id), segment_id=int(r.segment_id), operator=r.operator,
            inspector=r.inspector, campaign=r.campaign, visited_at=r.visited_at,
            checklist_version=r.version, passed=r.passed, failed=r.failed,
            not_checked=r.not_checked, photos_expected=r.photos_expected,
            photos_received=r.received, complete=is_complete(r.photos_expected, r.received),
            corrects_id=r.corrects_id, corrected_by_id=r.corrected_by,
        )
        for r in session.execute(stmt)
    ]
