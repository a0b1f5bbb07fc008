"""Test helpers that insert visits and violations directly with the ORM (not through the
visit-recording service), so compliance tests can set any dates they need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.compliance.catalogue import version_in_force
from gis.models import CableSegment, ChecklistItem, Inspection, Operator, User, Violation
from tests.factories import bearer, make_operator, make_segment, make_user

#: Vietnam's offset (no daylight saving), for literal local timestamps in tests.
ICT = timezone(timedelta(hours=7))


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An aware timestamp at local time in Vietnam."""
    return datetime(year, month, day, hour, minute, tzinfo=ICT)


def checklist_item(session: Session, code: str = "C1", on: date = date(2024, 1, 1)):
    """The item ``code`` of the catalogue version in force on ``on``."""
    version = version_in_force(session, on)
    return session.scalars(
        select(ChecklistItem).where(ChecklistItem.version_id == version.id,
                                    ChecklistItem.code == code)
    ).one()


def make_visit(
    session: Session, segment: CableSegment, inspector: User, visited_at: datetime
) -> Inspection:
    """Insert a visit of ``segment`` at ``visited_at`` (no results)."""
    visit = Inspection(
        segment_id=segment.id,
        operator_id=segment.operator_id,
        inspector_id=inspector.id,
        visited_at=visited_at,
        placement=segment.placement,
        checklist_version_id=version_in_force(session, visited_at.date()).id,
        idempotency_key=uuid.uuid4(),
        request_sha256="0" * 64,
    )
    session.add(visit)
    session.flush()
    return visit


def make_violation(
    session: Session,
    visit: Inspection,
    item_code: str = "C1",
    *,
    due_on: date | None = None,
    reported_at: datetime | None = None,
    closed_at: datetime | None = None,
    withdrawn: bool = False,
    closed_by: Inspection | None = None,
) -> Violation:
    """Insert a violation found by ``visit`` (at its time), due ``due_on`` (default 30 days
    after), optionally reported remediated, closed (or withdrawn) at the given times."""
    found_at = visit.visited_at
    if closed_at is not None:
        state = "withdrawn" if withdrawn else "closed"
    elif reported_at is not None:
        state = "remediation_reported"
    else:
        state = "open"
    violation = Violation(
        segment_id=visit.segment_id,
        operator_id=visit.operator_id,
        inspection_id=visit.id,
        item_id=checklist_item(session, item_code).id,
        found_at=found_at,
        due_on=due_on or (found_at.astimezone(ICT).date() + timedelta(days=30)),
        state=state,
        remediation_reported_at=reported_at,
        closed_at=closed_at,
        closed_by_inspection_id=closed_by.id if closed_by else None,
    )
    session.add(violation)
    session.flush()
    return violation


@dataclass
class World:
    """Two operators with one segment each, a user of every role (tokens by name), and
    violations on VNPT's segment in every state plus one open on Viettel's."""

    vnpt: Operator
    viettel: Operator
    seg_a: CableSegment  # VNPT
    seg_b: CableSegment  # VIETTEL
    users: dict[str, User]
    tokens: dict[str, str]
    violations: dict[str, Violation] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        """Authorization header of user ``who`` (admin, inspector, planner, vnpt, viettel)."""
        return bearer(self.tokens[who])


def make_world(session: Session, *, with_violations: bool = True) -> World:
    """Build the :class:`World` used by the compliance API tests."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    seg_a = make_segment(session, vnpt, [(106.33, 20.45), (106.335, 20.45)])
    seg_b = make_segment(session, viettel, [(106.33, 20.46), (106.335, 20.46)])
    users, tokens = {}, {}
    for name, role, operator in (("admin", "admin", None), ("inspector", "inspector", None),
                                 ("planner", "planner", None), ("vnpt", "operator", vnpt),
                                 ("viettel", "operator", viettel)):
        users[name], tokens[name] = make_user(session, role, operator)
    world = World(vnpt, viettel, seg_a, seg_b, users, tokens)
    if with_violations:
        inspector = users["inspector"]
        found = make_visit(session, seg_a, inspector, local(2024, 3, 1))
        closing = make_visit(session, seg_a, inspector, local(2024, 4, 1))
        v = world.violations
        v["open"] = make_violation(session, found, "C1", due_on=date(2024, 3, 31))
        v["reported"] = make_violation(session, found, "C2", due_on=date(2024, 3, 31),
                                       reported_at=local(2024, 3, 20))
        v["closed"] = make_violation(session, found, "C3", due_on=date(2024, 3, 31),
                                     closed_at=closing.visited_at, closed_by=closing)
        v["withdrawn"] = make_violation(session, found, "C4", due_on=date(2024, 3, 31),
                                        closed_at=local(2024, 3, 2), withdrawn=True)
        other = make_visit(session, seg_b, inspector, local(2024, 3, 5))
        v["viettel"] = make_violation(session, other, "C1", due_on=date(2024, 4, 30))
    return world
