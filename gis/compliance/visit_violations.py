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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.choices import ItemResult, ViolationState
from gis.models import ChecklistItem, Inspection

#: First key of the advisory locks that serialise violation derivation per segment.
SEGMENT_LOCK_CLASS = 0x5E6

UNRESOLVED = (ViolationState.OPEN.value, ViolationState.REMEDIATION_REPORTED.value)

_OPEN_SQL = text("""
    INSERT INTO violations (segment_id, operator_id, inspection_id, item_id, found_at, due_on)
    SELECT :segment_id, :operator_id, :inspection_id, ci.id, :found_at,
           CAST(:local_date AS date) + ci.remediation_days
      FROM checklist_items ci
     WHERE ci.id = ANY(:item_ids)
       AND NOT EXISTS (
             SELECT 1 FROM violations v JOIN checklist_items c2 ON c2.id = v.item_id
              WHERE v.segment_id = :segment_id AND c2.code = ci.code
                AND v.state IN ('open', 'remediation_reported'))
     ORDER BY ci.position
    ON CONFLICT DO NOTHING
    RETURNING id
""")

_CLOSE_SQL = text("""
    UPDATE violations v
       SET state = 'closed', closed_at = :visited_at, closed_by_inspection_id = :inspection_id
      FROM checklist_items ci
     WHERE ci.id = v.item_id AND ci.code = ANY(:codes)
       AND v.segment_id = :segment_id
       AND v.state IN ('open', 'remediation_reported')
       AND v.found_at <= :visited_at
    RETURNING v.id
""")

_WITHDRAW_SQL = text("""
    UPDATE violations
       SET state = 'withdrawn', closed_at = greatest(now(), found_at)
     WHERE inspection_id = :corrected_id AND state IN ('open', 'remediation_reported')
    RETURNING id
""")


@dataclass(frozen=True)
class Derived:
    """Violation ids a visit opened, closed (verified) and withdrew (as a correction)."""

    opened: list[int]
    closed: list[int]
    withdrawn: list[int]


def lock_segment(session: Session, segment_id: int) -> None:
    """Serialise violation derivation on ``segment_id`` until the transaction ends."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(:cls, CAST(:key AS integer))"),
        {"cls": SEGMENT_LOCK_CLASS, "key": segment_id % 2_147_483_647},
    )


def withdraw_opened_by(session: Session, corrected_id: int) -> list[int]:
    """Withdraw the unresolved violations that visit ``corrected_id`` opened; return their ids."""
    rows = session.execute(_WITHDRAW_SQL, {"corrected_id": corrected_id}).scalars().all()
    return sorted(int(r) for r in rows)


def derive_violations(
    session: Session,
    inspection: Inspection,
    results: Sequence[tuple[ChecklistItem, ItemResult]],
    local_date: date,
) -> tuple[list[int], list[int]]:
    """Open violations for the failed items and close those the passed items verify.

    ``local_date`` is the visit's date in Asia/Ho_Chi_Minh (due dates count from it).
    Returns ``(opened_ids, closed_ids)``.
    """
    failed = [item.id for item, result in results if result is ItemResult.FAIL]
    passed = [item.code for item, result in results if result is ItemResult.PASS]
    visited_at: datetime = inspection.visited_at
    opened: list[int] = []
    closed: list[int] = []
    if passed:
        closed = sorted(int(r) for r in session.execute(_CLOSE_SQL, {
            "codes": passed, "segment_id": inspection.segment_id,
            "visited_at": visited_at, "inspection_id": inspection.id,
        }).scalars())
    if failed:
        opened = sorted(int(r) for r in session.execute(_OPEN_SQL, {
            "segment_id": inspection.segment_id, "operator_id": inspection.operator_id,
            "inspection_id": inspection.id, "found_at": visited_at,
            "local_date": local_date, "item_ids": failed,
        }).scalars())
    return opened, closed


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
