"""The audit log: every write, who made it, when, and the row before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from api.deps import Admin, SessionDep
from api.problems import FieldProblem, ProblemError, fields_at, problem_responses
from api.schemas.audit import AuditEntryPublic, AuditPage
from api.schemas.common import Link
from gis.audit import AUDITED_TABLES, MAX_LIMIT, AuditCursor, list_audit

router = APIRouter(tags=["audit"])

#: Times given without an offset are Vietnam time (UTC+7).
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TIME)
    return value


@router.get("/audit", response_model=AuditPage, summary="Audit log, newest first",
            responses=problem_responses(401, 403, 422))
def audit(
    _: Admin,
    session: SessionDep,
    request: Request,
    table: Annotated[str | None, Query(
        description=f"Only this table: {', '.join(AUDITED_TABLES)}.", examples=["violations"])
    ] = None,
    row_key: Annotated[str | None, Query(
        description="Only this row (its id, or a link row's ids joined by commas).",
        examples=["42"])] = None,
    actor: Annotated[str | None, Query(
        description="Only this actor, e.g. `user:thanhtra.nguyen` or `cli:root`.")] = None,
    since: Annotated[datetime | None, Query(
        alias="from", description=(
            "From this time, inclusive: a date or an ISO 8601 time; without an offset it is "
            "Vietnam time (+07:00). In a URL write `+` as `%2B`, or use `Z`."),
        examples=["2025-07-01"])] = None,
    until: Annotated[datetime | None, Query(
        alias="to", description="Up to this time, exclusive (same forms as `from`).",
        examples=["2025-08-01T00:00:00Z"])] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Entries per page.")] = 100,
    cursor: Annotated[str | None, Query(
        description="Where to continue: take it from the `next` link.")] = None,
) -> AuditPage:
    """Every write to an audited table, newest first, with the row's image before and after
    (token hashes are never shown). Keyset pagination: follow the `next` link. Administrators
    only."""
    since, until = _aware(since), _aware(until)
    if since is not None and until is not None and until <= since:
        raise ProblemError(422, "'to' must be after 'from'", kind="invalid-input",
                           errors=[FieldProblem(field="query.to",
                                                detail="must be after 'from'")])
    with fields_at("query"):
        after = AuditCursor.decode(cursor) if cursor is not None else None
        page = list_audit(session, table=table, row_key=row_key, actor=actor, since=since,
                          until=until, cursor=after, limit=limit)
    links = []
    if page.next_cursor is not None:
        url = request.url.include_query_params(cursor=page.next_cursor.encode())
        links.append(Link(rel="next", href=f"{url.path}?{url.query}", type="application/json"))
    return AuditPage(entries=[AuditEntryPublic.of(e) for e in page.entries], links=links)
