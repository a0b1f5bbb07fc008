"""The cable a report covers: every operator or one, every commune or one.

The commune of a segment is the one the database stored for it (the commune in force, when the
segment was stored, that holds its midpoint), as for ``/segments``: a commune code matches any
version of that code. Unknown codes are a ValidationFailed naming the field (``operator``,
``commune``); to an operator's user another operator is as unknown as one that does not exist
(row-level security).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.queries import lookups


@dataclass(frozen=True)
class ReportScope:
    """A report's filter: ``operator`` code and/or ``commune`` code (None = all), with the ids
    they resolve to."""

    operator: str | None = None
    commune: str | None = None
    commune_name: str | None = None
    operator_id: int | None = field(default=None, repr=False)
    commune_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def is_whole_network(self) -> bool:
        """True when neither an operator nor a commune is chosen."""
        return self.operator is None and self.commune is None

    def segment_condition(self, alias: str = "s") -> str:
        """SQL condition on the ``cable_segments`` row ``alias`` (parameters from
        :meth:`params`)."""
        parts = ["true"]
        if self.operator_id is not None:
            parts.append(f"{alias}.operator_id = :scope_operator_id")
        if self.commune_ids:
            parts.append(f"{alias}.commune_id = ANY(:scope_commune_ids)")
        return " AND ".join(parts)

    def params(self) -> dict[str, Any]:
        """Bind parameters of :meth:`segment_condition`."""
        return {"scope_operator_id": self.operator_id,
                "scope_commune_ids": list(self.commune_ids)}


WHOLE_NETWORK = ReportScope()


def resolve_scope(session: Session, *, operator: str | None = None,
                  commune: str | None = None) -> ReportScope:
    """The scope of ``operator`` (a code, any case) and ``commune`` (a 5-digit code); blank
    values mean "all". ValidationFailed naming ``operator`` or ``commune`` for unknown codes."""
    operator = (operator or "").strip().upper() or None
    commune = (commune or "").strip() or None
    operator_id = lookups.operator_id(session, operator) if operator else None
    commune_ids: tuple[int, ...] = ()
    commune_name = None
    if commune:
        commune_ids = tuple(lookups.commune_ids(session, commune))
        commune_name = session.scalar(text(
            "SELECT name FROM admin_units WHERE id = ANY(:ids) ORDER BY valid_from DESC LIMIT 1"),
            {"ids": list(commune_ids)})
    return ReportScope(operator, commune, commune_name, operator_id, commune_ids)


@dataclass(frozen=True)
class FilterOption:
    """An option of a report filter: code and name."""

    code: str
    name: str


def filter_choices(session: Session) -> dict[str, list[FilterOption]]:
    """The options of the report filters as the session may see them: ``operators`` (by code)
    and ``communes`` that hold cable (the segments' stored communes, by code)."""
    operators = session.execute(text("SELECT code, name FROM operators ORDER BY code"))
    communes = session.execute(text("""
        SELECT u.code, u.name FROM admin_units u
         WHERE u.level = 'commune'
           AND EXISTS (SELECT 1 FROM cable_segments s WHERE s.commune_id = u.id)
         ORDER BY u.code, u.valid_from DESC"""))
    seen: dict[str, FilterOption] = {}
    for row in communes:
        seen.setdefault(row.code, FilterOption(row.code, row.name))
    return {"operators": [FilterOption(r.code, r.name) for r in operators],
            "communes": list(seen.values())}
