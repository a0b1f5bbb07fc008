"""Helpers for visit tests: checklist results for a placement, VisitInput and JSON bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from gis.auth import Principal
from gis.choices import ItemResult, Role
from gis.compliance.catalogue import items_for, version_in_force
from gis.compliance.visits import ResultInput, VisitInput
from gis.models import User

ICT = timezone(timedelta(hours=7))
#: A visit time used by default: 2 May 2024, 09:30 in Vietnam.
VISITED_AT = datetime(2024, 5, 2, 9, 30, tzinfo=ICT)


def principal_of(user: User) -> Principal:
    """The principal of a user made with ``tests.factories.make_user``."""
    return Principal(user.id, user.username, Role(user.role), user.operator_id)


def codes_for(session: Session, placement: str, on: date = date(2024, 5, 2)) -> list[str]:
    """Codes of the items in force on ``on`` that apply to ``placement``, in catalogue order."""
    return [item.code for item in items_for(version_in_force(session, on), placement)]


def results_for(session: Session, placement: str = "overhead",
                **overrides: str | tuple[str, str]) -> tuple[ResultInput, ...]:
    """One result per applicable item: pass, except ``C3="fail"`` or ``C3=("pass", "8")``."""
    results = []
    for code in codes_for(session, placement):
        value = overrides.get(code, "pass")
        measured = None
        if isinstance(value, tuple):
            value, text = value
            measured = Decimal(text)
        results.append(ResultInput(code, ItemResult(value), measured))
    return tuple(results)


def visit_input(session: Session, placement: str = "overhead", *,
                results: tuple[ResultInput, ...] | None = None,
                overrides: dict | None = None, **fields) -> VisitInput:
    """A VisitInput with a fresh key, visited at :data:`VISITED_AT`, all items passed unless
    ``overrides`` or ``results`` say otherwise."""
    fields.setdefault("idempotency_key", uuid.uuid4())
    fields.setdefault("visited_at", VISITED_AT)
    if results is None:
        results = results_for(session, placement, **(overrides or {}))
    return VisitInput(results=results, **fields)


def body_for(session: Session, placement: str = "overhead", *,
             overrides: dict | None = None, **fields) -> dict:
    """A JSON body for ``POST /inspections`` (all items passed unless ``overrides``)."""
    results = []
    for r in results_for(session, placement, **(overrides or {})):
        entry: dict = {"item": r.item, "result": r.result.value}
        if r.measured_value is not None:
            entry["measured_value"] = str(r.measured_value)
        results.append(entry)
    body: dict = {"visited_at": VISITED_AT.isoformat(), "results": results}
    body.update(fields)
    return body
