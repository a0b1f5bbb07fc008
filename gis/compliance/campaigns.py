"""Inspection campaigns (cuộc kiểm tra): legal basis, period, scope, inspectors, progress.

A campaign's scope is its communes (administrative units; a segment is in a commune when its
midpoint lies in the unit's polygon, as the database assigns communes) and its operators; an
empty list means every commune / every operator. When inspectors are listed, only they (and
admins) record visits under the campaign. Dates are local (Asia/Ho_Chi_Minh).

Operators' users see, by row-level security, the campaigns that name their operator and the
province-wide ones (no operator list); of a campaign's operator list they see only their own
row, and its progress counts only their own segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.auth import ForbiddenError, Principal, require_role
from gis.choices import Role
from gis.compliance.visit_errors import (
    FieldIssue,
    InvalidVisitError,
    ReferenceNotFoundError,
    VisitConflictError,
    text_issues,
)
from gis.errors import NotFoundError
from gis.history import state_row_sql
from gis.models import (
    AdminUnit,
    CableSegment,
    Campaign,
    ChecklistVersion,
    Operator,
    User,
    campaign_communes,
    campaign_inspectors,
    campaign_operators,
)


@dataclass(frozen=True)
class CampaignInput:
    """What a campaign is created from: codes of communes and operators, inspector usernames,
    and optionally the checklist version code (default: the version in force at each visit)."""

    code: str
    name: str
    legal_basis: str
    starts_on: date
    ends_on: date
    communes: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    inspectors: tuple[str, ...] = ()
    checklist_version: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CampaignProgress:
    """Where a campaign stands: segments in scope (active at the end of the period, or today),
    distinct segments visited, visits, violations its visits opened."""

    segments_in_scope: int
    km_in_scope: float
    segments_visited: int
    visits: int
    violations_opened: int


@dataclass(frozen=True)
class CampaignView:
    """A campaign with its scope (as the caller may see it) and progress."""

    campaign: Campaign
    checklist_version: str | None
    communes: list[tuple[str, str]]  # (code, name)
    operators: list[tuple[str, str]]  # (code, name)
    inspectors: list[tuple[str, str]]  # (username, full name)
    progress: CampaignProgress


def _match_communes(session: Session, codes: Sequence[str], starts_on: date,
                    ends_on: date) -> tuple[list[int], list[FieldIssue]]:
    """Ids of the commune versions with these codes in force during the period."""
    ids: list[int] = []
    issues: list[FieldIssue] = []
    for index, code in enumerate(codes):
        found = session.scalars(
            select(AdminUnit.id).where(
                AdminUnit.level == "commune", AdminUnit.code == code,
                AdminUnit.valid_from <= ends_on,
                or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > starts_on),
            )
        ).all()
        if not found:
            issues.append(FieldIssue(
                f"communes[{index}]",
                f"no commune {code!r} is in force between {starts_on} and {ends_on}"))
        ids.extend(found)
    return ids, issues


def create_campaign(session: Session, principal: Principal, data: CampaignInput) -> Campaign:
    """Create a campaign (admins and inspectors). Raises :class:`InvalidVisitError` listing
    every bad field (period, unknown communes/operators/inspectors/version) and
    :class:`VisitConflictError` when the code is taken."""
    require_role(principal, Role.ADMIN, Role.INSPECTOR)
    issues = text_issues({
        "code": data.code, "name": data.name, "legal_basis": data.legal_basis,
        "note": data.note, "checklist_version": data.checklist_version,
        **{f"communes[{i}]": code for i, code in enumerate(data.communes)},
        **{f"operators[{i}]": code for i, code in enumerate(data.operators)},
        **{f"inspectors[{i}]": name for i, name in enumerate(data.inspectors)},
    })
    if issues:  # the lookups below would send the NUL characters to PostgreSQL
        raise InvalidVisitError.many(issues, "the campaign")
    if data.ends_on < data.starts_on:
        issues.append(FieldIssue("ends_on", f"ends_on {data.ends_on} is before starts_on "
                                            f"{data.starts_on}"))
    unit_ids, commune_issues = _match_communes(session, data.communes, data.starts_on,
                                               data.ends_on)
    issues += commune_issues
    operator_ids: list[int] = []
    for index, code in enumerate(data.operators):
        operator_id = session.scalar(
            select(Operator.id).where(func.upper(Operator.code) == code.upper()))
        if operator_id is None:
            issues.append(FieldIssue(f"operators[{index}]", f"unknown operator {code!r}"))
        else:
            operator_ids.append(operator_id)
    user_ids: list[int] = []
    for index, username in enumerate(data.inspectors):
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            issues.append(FieldIssue(f"inspectors[{index}]", f"unknown user {username!r}"))
        elif user.role != Role.INSPECTOR.value or not user.active:
            issues.append(FieldIssue(
                f"inspectors[{index}]",
                f"{username!r} is not an active inspector (role {user.role})"))
        else:
            user_ids.append(user.id)
    version_id = None
    if data.checklist_version is not None:
        version_id = session.scalar(
            select(ChecklistVersion.id).where(ChecklistVersion.code == data.checklist_version))
        if version_id is None:
            issues.append(FieldIssue("checklist_version",
                                     f"unknown checklist version {data.checklist_version!r}"))
    if issues:
        raise InvalidVisitError.many(issues, "the campaign")
    if session.scalar(select(Campaign.id).where(Campaign.code == data.code)) is not None:
        raise VisitConflictError("code", f"a campaign with code {data.code!r} already exists")
    try:
        with session.begin_nested():
            campaign = Campaign(
                code=data.code, name=data.name, legal_basis=data.legal_basis,
                starts_on=data.starts_on, ends_on=data.ends_on,
                checklist_version_id=version_id, note=data.note,
            )
            session.add(campaign)
            session.flush()
            for table, column, values in (
                (campaign_communes, "admin_unit_id", unit_ids),
                (campaign_operators, "operator_id", operator_ids),
                (campaign_inspectors, "user_id", user_ids),
            ):
                if values:
                    session.execute(insert(table), [
                        {"campaign_id": campaign.id, column: value}
                        for value in dict.fromkeys(values)
                    ])
    except IntegrityError as exc:  # a concurrent create took the code
        raise VisitConflictError(
            "code", f"a campaign with code {data.code!r} already exists") from exc
    return campaign


def campaign_for_visit(session: Session, principal: Principal, campaign_id: int | None,
                       segment: CableSegment, on: date, *,
                       segment_field: str = "segment_id") -> Campaign | None:
    """The campaign a visit on ``on`` to ``segment`` is recorded under, checked: it exists,
    ``on`` is in its period, the inspector is assigned (admins exempt), and the segment is in
    its operator and commune scope."""
    if campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ReferenceNotFoundError("campaign_id", f"campaign {campaign_id} does not exist")
    if not campaign.starts_on <= on <= campaign.ends_on:
        raise InvalidVisitError.one(
            "visited_at",
            f"the visit's local date {on} is outside campaign {campaign.code}'s period "
            f"({campaign.starts_on} to {campaign.ends_on})")
    inspectors = set(session.scalars(select(campaign_inspectors.c.user_id).where(
        campaign_inspectors.c.campaign_id == campaign.id)))
    if inspectors and principal.user_id not in inspectors and principal.role is not Role.ADMIN:
        raise ForbiddenError(f"you are not assigned to campaign {campaign.code}")
    operators = set(session.scalars(select(campaign_operators.c.operator_id).where(
        campaign_operators.c.campaign_id == campaign.id)))
    if operators and segment.operator_id not in operators:
        raise InvalidVisitError.one(
            segment_field,
            f"segment {segment.id} belongs to an operator outside campaign {campaign.code}'s "
            "scope")
    has_communes = session.scalar(select(exists().where(
        campaign_communes.c.campaign_id == campaign.id)))
    if has_communes:
        inside = session.scalar(text("""
            SELECT EXISTS (
              SELECT 1 FROM campaign_communes cc
                JOIN admin_units u ON u.id = cc.admin_unit_id
                JOIN cable_segments s ON s.id = :segment_id
               WHERE cc.campaign_id = :campaign_id
                 AND ST_Intersects(u.geom, ST_LineInterpolatePoint(s.geom, 0.5)))
        """), {"segment_id": segment.id, "campaign_id": campaign.id})
        if not inside:
            raise InvalidVisitError.one(
                segment_field,
                f"segment {segment.id} lies outside the communes of campaign {campaign.code}")
    return campaign


#: Segments in scope, as ``scoped(id, length_m)``. With communes, the scan starts from their
#: polygons through the segments' spatial index (``s.geom && u.geom``): a whole-table scan
#: testing every midpoint takes ~25 s at 1,000,000 segments. DISTINCT: two versions of a
#: commune, or two neighbours sharing a boundary, may both hold a midpoint.
_SCOPED_IN_COMMUNES = """
      SELECT DISTINCT s.id, s.length_m
        FROM campaign_communes cc
        JOIN admin_units u ON u.id = cc.admin_unit_id
        JOIN cable_segments s ON s.geom && u.geom
                             AND ST_Intersects(u.geom, ST_LineInterpolatePoint(s.geom, 0.5))
       WHERE cc.campaign_id = :id AND {condition}"""
_SCOPED_ANYWHERE = """
      SELECT s.id, s.length_m FROM cable_segments s WHERE {condition}"""
_IN_OPERATORS = ("s.operator_id IN (SELECT co.operator_id FROM campaign_operators co"
                 " WHERE co.campaign_id = :id)")
#: Active on ``:on`` (the latest history row on or before it). A segment whose current state
#: dates from ``:on`` or before has no later row, so its current columns are that state: the
#: history is read only for the others (a per-segment lookup costs ~2 s at 1,000,000).
_ACTIVE_ON = f"""(CASE WHEN s.state_since <= :on THEN s.lifecycle
                ELSE ({state_row_sql("s.id", ":on", "h.lifecycle")}) END) = 'active'"""
_PROGRESS_SQL = """
    WITH scoped AS ({scoped})
    SELECT (SELECT count(*) FROM scoped) AS segments_in_scope,
           (SELECT coalesce(sum(length_m), 0) / 1000.0 FROM scoped) AS km_in_scope,
           (SELECT count(DISTINCT segment_id) FROM inspections WHERE campaign_id = :id)
             AS segments_visited,
           (SELECT count(*) FROM inspections WHERE campaign_id = :id) AS visits,
           (SELECT count(*) FROM violations v JOIN inspections i ON i.id = v.inspection_id
             WHERE i.campaign_id = :id) AS violations_opened
"""


def scope_sql(session: Session, campaign: Campaign) -> str:
    """SQL selecting ``(id, length_m)`` of the segments in the campaign's scope (its communes
    and operators, or all); parameters ``:id`` (the campaign) and ``:on`` (the date the
    segments must be active on)."""
    has_communes, has_operators = session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM campaign_communes WHERE campaign_id = :id),"
        " EXISTS (SELECT 1 FROM campaign_operators WHERE campaign_id = :id)"),
        {"id": campaign.id}).one()
    condition = " AND ".join([_IN_OPERATORS] * bool(has_operators) + [_ACTIVE_ON])
    return (_SCOPED_IN_COMMUNES if has_communes else _SCOPED_ANYWHERE).format(
        condition=condition)


def progress_query(session: Session, campaign: Campaign,
                   today: date) -> tuple[str, dict[str, object]]:
    """The SQL and parameters of :func:`campaign_progress` (e.g. for EXPLAIN)."""
    return (_PROGRESS_SQL.format(scoped=scope_sql(session, campaign)),
            {"id": campaign.id, "on": min(campaign.ends_on, today)})


def campaign_progress(session: Session, campaign: Campaign, today: date) -> CampaignProgress:
    """Progress of ``campaign`` as the session sees it (an operator: its own segments).
    Segments in scope are those active at the end of the period, or today if earlier."""
    sql, params = progress_query(session, campaign, today)
    row = session.execute(text(sql), params).one()
    return CampaignProgress(
        segments_in_scope=int(row.segments_in_scope), km_in_scope=float(row.km_in_scope),
        segments_visited=int(row.segments_visited), visits=int(row.visits),
        violations_opened=int(row.violations_opened),
    )


def _view(session: Session, campaign: Campaign, today: date) -> CampaignView:
    version = (session.get(ChecklistVersion, campaign.checklist_version_id)
               if campaign.checklist_version_id else None)
    communes = session.execute(
        select(AdminUnit.code, AdminUnit.name)
        .join(campaign_communes, campaign_communes.c.admin_unit_id == AdminUnit.id)
        .where(campaign_communes.c.campaign_id == campaign.id)
        .order_by(AdminUnit.code, AdminUnit.valid_from)
    ).all()
    operators = session.execute(
        select(Operator.code, Operator.name)
        .join(campaign_operators, campaign_operators.c.operator_id == Operator.id)
        .where(campaign_operators.c.campaign_id == campaign.id)
        .order_by(Operator.code)
    ).all()
    inspectors = session.execute(
        select(User.username, User.full_name)
        .join(campaign_inspectors, campaign_inspectors.c.user_id == User.id)
        .where(campaign_inspectors.c.campaign_id == campaign.id)
        .order_by(User.username)
    ).all()
    return CampaignView(
        campaign=campaign,
        checklist_version=version.code if version else None,
        communes=list(dict.fromkeys((c.code, c.name) for c in communes)),
        operators=[(o.code, o.name) for o in operators],
        inspectors=[(i.username, i.full_name) for i in inspectors],
        progress=campaign_progress(session, campaign, today),
    )


def get_campaign(session: Session, campaign_id: int, today: date) -> CampaignView:
    """One campaign with scope and progress; NotFoundError when unknown or not visible (an
    operator's session sees, by row-level security, the campaigns naming it and the
    province-wide ones)."""
    stmt = select(Campaign).where(Campaign.id == campaign_id)
    campaign = session.scalar(stmt)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    return _view(session, campaign, today)


def list_campaigns(session: Session, today: date, *,
                   after: int | None = None, limit: int = 50,
                   active_on: date | None = None) -> list[CampaignView]:
    """Campaigns in id order after ``after`` (keyset), optionally those running on
    ``active_on``; at most ``limit``."""
    stmt = select(Campaign).order_by(Campaign.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Campaign.id > after)
    if active_on is not None:
        stmt = stmt.where(Campaign.starts_on <= active_on, Campaign.ends_on >= active_on)
    return [_view(session, campaign, today) for campaign in session.scalars(stmt)]

