"""Codes people type (operator, route, commune) turned into ids, with a field-named problem for
an unknown code. Row-level security applies: to an operator user, another operator's route or
operator is as unknown as one that does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import FieldIssue, invalid, invalid_fields


def operator_ids(session: Session, codes: Sequence[str], field: str = "operator") -> list[int]:
    """Ids of the operators ``codes`` (case-insensitive); ValidationFailed naming ``field``
    (``field[i]`` when several codes are given) for the first unknown one."""
    wanted = [c.strip().upper() for c in codes]
    found = dict(session.execute(
        text("SELECT code, id FROM operators WHERE code = ANY(:codes)"), {"codes": wanted}
    ).all())
    for i, code in enumerate(wanted):
        if code not in found:
            known = ", ".join(session.scalars(text("SELECT code FROM operators ORDER BY code")))
            name = f"{field}[{i}]" if len(wanted) > 1 else field
            raise invalid(name, f"unknown operator {codes[i]!r}; known operators: {known or '-'}")
    return [found[code] for code in wanted]


def operator_id(session: Session, code: str, field: str = "operator") -> int:
    """Id of the operator ``code``; ValidationFailed naming ``field`` when unknown."""
    return operator_ids(session, [code], field)[0]


def route_ids(session: Session, codes: Sequence[str], field: str = "routes") -> list[int]:
    """Ids of the routes ``codes`` (exact codes), in order; ValidationFailed naming
    ``field[i]`` for each unknown or repeated code."""
    found = dict(session.execute(
        text("SELECT code, id FROM cable_routes WHERE code = ANY(:codes)"), {"codes": list(codes)}
    ).all())
    issues = []
    for i, code in enumerate(codes):
        if code not in found:
            issues.append(FieldIssue(f"{field}[{i}]", f"unknown route {code!r}"))
        elif code in codes[:i]:
            issues.append(FieldIssue(f"{field}[{i}]", f"route {code!r} is listed twice"))
    if issues:
        raise invalid_fields(issues)
    return [found[code] for code in codes]


def route_id(session: Session, code: str, field: str = "route") -> int:
    """Id of the route ``code``; ValidationFailed naming ``field`` when unknown."""
    found = session.execute(
        text("SELECT id FROM cable_routes WHERE code = :code"), {"code": code}
    ).scalar()
    if found is None:
        raise invalid(field, f"unknown route {code!r}")
    return found


def commune_ids(session: Session, code: str, field: str = "commune") -> list[int]:
    """Ids of every version of the commune ``code``; ValidationFailed naming ``field`` when no
    commune ever had that code (a province or district code included: segments and plans are
    tied to communes only, so such a filter could only ever match nothing)."""
    ids = list(session.scalars(
        text("SELECT id FROM admin_units WHERE level = 'commune' AND code = :code"
             " ORDER BY valid_from"), {"code": code}
    ))
    if not ids:
        raise invalid(field, f"unknown commune code {code!r} (a commune has 5 digits)")
    return ids


def commune_in_year(session: Session, code: str, year: int, field: str = "commune") -> int:
    """The version of commune ``code`` in force during ``year`` (the latest if several);
    ValidationFailed naming ``field`` when there is none."""
    found = session.execute(text("""
        SELECT id FROM admin_units
         WHERE level = 'commune' AND code = :code
           AND valid_from <= :last AND (valid_to IS NULL OR valid_to > :first)
         ORDER BY valid_from DESC LIMIT 1"""),
        {"code": code, "first": date(year, 1, 1), "last": date(year, 12, 31)}).scalar()
    if found is None:
        raise invalid(field, f"no commune {code!r} was in force in {year}")
    return found

