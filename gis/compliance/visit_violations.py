"""Violations derived from a visit's results.

* ``fail`` opens a violation on the segment for that item, due ``remediation_days`` after the
  visit's local date, unless one is already unresolved (open or remediation reported) for the
  same segment and item code;
* ``pass`` verifies and closes the unresolved violations of that segment and item code found
  on or before the visit (``closed_at`` = the visit time);
* ``not_checked`` changes nothing;
* a correction withdraws the unresolved violations the corrected visit opened.

Items are matched by code, so a violation found under one catalogue version is closed by a pass
recorded under a later one. Derivation for one segment is serialised by a transaction-level
advisory lock, so two visits to a segment recorded at once cannot both open a violation.

The rules are SQL that :mod:`gis.compliance.visits` runs in the same statement as the visit's
insert (:func:`derivation_ctes`), so a visit is written in one round trip to the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import ItemResult, ViolationState
from gis.compliance.catalogue import CatalogueItem
from gis.models import Inspection

#: First key of the advisory locks that serialise violation derivation per segment.
SEGMENT_LOCK_CLASS = 0x5E6

UNRESOLVED = (ViolationState.OPEN.value, ViolationState.REMEDIATION_REPORTED.value)
_UNRESOLVED_SQL = ", ".join(f"'{state}'" for state in UNRESOLVED)


def lock_sql(segment_id: str) -> str:
    """SQL expression that serialises violation derivation on the segment ``segment_id`` (an
    SQL expression) until the transaction ends. Derivation must run in a later statement than
    the one taking the lock, so that its snapshot sees what the previous holder committed."""
    return (f"pg_advisory_xact_lock({SEGMENT_LOCK_CLASS},"
            f" CAST({segment_id} % 2147483647 AS integer))")


def derivation_ctes(inspection_id: str) -> str:
    """Two data-modifying CTEs, ``closed`` and ``opened``, that derive the violations of the
    visit ``inspection_id`` (an SQL expression) from its results; to follow ``WITH``.

    Parameters: ``:segment_id``, ``:operator_id``, ``:visited_at`` (the visit's time, found
    and closing time), ``:local_date`` (its local date, due dates count from it),
    ``:passed_codes`` (item codes that passed) and ``:failed_ids`` (item ids that failed).
    ``closed`` returns ``id, code, due_on``; ``opened`` returns ``id, item_id, due_on``. The
    two touch different item codes, so one statement's snapshot serves both."""
    return f"""
    closed AS (
      UPDATE violations v
         SET state = '{ViolationState.CLOSED.value}', closed_at = :visited_at,
             closed_by_inspection_id = {inspection_id}
        FROM checklist_items ci
       WHERE ci.id = v.item_id AND ci.code = ANY(CAST(:passed_codes AS text[]))
         AND v.segment_id = :segment_id
         AND v.state IN ({_UNRESOLVED_SQL})
         AND v.found_at <= :visited_at
      RETURNING v.id, ci.code, v.due_on
    ), opened AS (
      INSERT INTO violations (segment_id, operator_id, inspection_id, item_id, found_at, due_on)
      SELECT :segment_id, :operator_id, {inspection_id}, ci.id, :visited_at,
             CAST(:local_date AS date) + ci.remediation_days
        FROM checklist_items ci
       WHERE ci.id = ANY(CAST(:failed_ids AS integer[]))
         AND NOT EXISTS (
               SELECT 1 FROM violations v JOIN checklist_items c2 ON c2.id = v.item_id
                WHERE v.segment_id = :segment_id AND c2.code = ci.code
                  AND v.state IN ({_UNRESOLVED_SQL}))
       ORDER BY ci.position
      ON CONFLICT DO NOTHING
      RETURNING id, item_id, due_on
    )"""


def derivation_params(results: Sequence[tuple[CatalogueItem, ItemResult]]) -> dict[str, list]:
    """``:passed_codes`` and ``:failed_ids`` of :func:`derivation_ctes` for ``results``:
    ``fail`` opens, ``pass`` verifies and closes, ``not_checked`` changes nothing."""
    return {"passed_codes": [item.code for item, result in results if result is ItemResult.PASS],
            "failed_ids": [item.id for item, result in results if result is ItemResult.FAIL]}


_WITHDRAW_SQL = text(f"""
    UPDATE violations v
       SET state = '{ViolationState.WITHDRAWN.value}', closed_at = greatest(now(), v.found_at)
      FROM checklist_items ci
     WHERE ci.id = v.item_id AND v.inspection_id = :corrected_id
       AND v.state IN ({_UNRESOLVED_SQL})
    RETURNING v.id, ci.code, v.due_on
""")


@dataclass(frozen=True)
class Derived:
    """Violation ids a visit opened, closed (verified) and withdrew (as a correction)."""

    opened: list[int]
    closed: list[int]
    withdrawn: list[int]


def withdraw_opened_by(session: Session, corrected_id: int) -> list[tuple[int, str, date]]:
    """Withdraw the unresolved violations that visit ``corrected_id`` opened; return their
    ``(id, item code, due date)`` by id."""
    rows = session.execute(_WITHDRAW_SQL, {"corrected_id": corrected_id}).all()
    return sorted((int(r.id), r.code, r.due_on) for r in rows)


def derived_by(session: Session, inspection: Inspection) -> Derived:
    """What ``inspection`` derived, read back from the database (for a replayed request).

    A visit closes only violations of its own segment: saying so lets the ``closed`` part use
    the segment index (``closed_by_inspection_id`` has none)."""
    rows = session.execute(
        text("""
            SELECT id, 'opened' AS how FROM violations WHERE inspection_id = :id
            UNION ALL
            SELECT id, 'closed' FROM violations
             WHERE segment_id = :segment_id AND closed_by_inspection_id = :id
            UNION ALL
            SELECT id, 'withdrawn' FROM violations
             WHERE inspection_id = CAST(:corrects_id AS bigint) AND state = 'withdrawn'
             ORDER BY 1
        """),
        {"id": inspection.id, "segment_id": inspection.segment_id,
         "corrects_id": inspection.corrects_id},
    ).all()
    return Derived(
        opened=[int(r.id) for r in rows if r.how == "opened"],
        closed=[int(r.id) for r in rows if r.how == "closed"],
        withdrawn=[int(r.id) for r in rows if r.how == "withdrawn"],
    )
