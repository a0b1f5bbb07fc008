"""Plain functions that build rows for tests (small literal geometry in EPSG:4326)."""

from __future__ import annotations

from datetime import date

from geoalchemy2.shape import from_shape
from shapely import LineString, MultiPolygon, Polygon, box
from sqlalchemy.orm import Session

from gis.models import AdminUnit, CableRoute, CableSegment, Operator


def make_operator(session: Session, code: str = "VNPT", name: str | None = None) -> Operator:
    """Insert an operator."""
    operator = Operator(code=code, name=name or f"{code} Thái Bình")
    session.add(operator)
    session.flush()
    return operator


def make_unit(
    session: Session,
    code: str,
    bounds: tuple[float, float, float, float],
    *,
    level: str = "commune",
    name: str | None = None,
    valid_from: date = date(2025, 7, 1),
    valid_to: date | None = None,
    parent: AdminUnit | None = None,
) -> AdminUnit:
    """Insert an administrative unit whose polygon is the box ``bounds`` (lon/lat)."""
    unit = AdminUnit(
        level=level,
        code=code,
        name=name or f"Unit {code}",
        valid_from=valid_from,
        valid_to=valid_to,
        parent_id=parent.id if parent else None,
        geom=from_shape(MultiPolygon([Polygon(box(*bounds).exterior)]), srid=4326),
    )
    session.add(unit)
    session.flush()
    return unit


def make_route(session: Session, operator: Operator, code: str = "R-1", tier: str = "drop"):
    """Insert a cable route."""
    route = CableRoute(code=code, name=code, operator_id=operator.id, tier=tier)
    session.add(route)
    session.flush()
    return route


def make_segment(
    session: Session,
    operator: Operator,
    coords: list[tuple[float, float]] | None = None,
    *,
    placement: str = "overhead",
    placement_kind: str | None = None,
    tidied: bool = False,
    lifecycle: str = "active",
    state_since: date = date(2019, 1, 1),
    route: CableRoute | None = None,
    source_fid: str | None = None,
) -> CableSegment:
    """Insert a segment (default: ~1.1 km due east near Thái Bình city) and return it refreshed."""
    line = LineString(coords or [(106.33, 20.45), (106.3405, 20.45)])
    segment = CableSegment(
        operator_id=operator.id,
        route_id=route.id if route else None,
        placement=placement,
        placement_kind=placement_kind or ("aerial" if placement == "overhead" else "duct"),
        tidied=tidied,
        lifecycle=lifecycle,
        state_since=state_since,
        source="test",
        source_fid=source_fid,
        geom=from_shape(line, srid=4326),
    )
    session.add(segment)
    session.flush()
    session.refresh(segment)
    return segment


def make_user(
    session: Session,
    role: str = "inspector",
    operator: Operator | None = None,
    username: str | None = None,
    days: int = 30,
):
    """Insert a user of ``role`` with one token; returns ``(user, token_plaintext)``."""
    from gis.auth import create_user, issue_token
    from gis.choices import Role

    username = username or f"{role}-{operator.code.lower() if operator else 'dept'}"
    user = create_user(session, username, username.title(), Role(role),
                       operator.code if operator else None)
    token, _ = issue_token(session, username, days)
    return user, token


def bearer(token: str) -> dict[str, str]:
    """Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}
