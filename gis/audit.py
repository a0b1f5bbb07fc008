"""Reading the audit log: every write to an audited table, newest first, a page at a time.

The rows are written by the database itself (trigger ``audit_row()`` in migration 0003): who
(``actor``: ``user:<name>`` for API users, ``cli:<os user>`` for the command line), when (``at``,
the writing transaction's start), which table and row (``row_key``: the id, or the ``*_id``
columns of link tables joined by commas) and the row's image before and after. Token hashes are
never part of an image.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from gis.errors import invalid
from gis.models import AuditEntry

#: Tables whose writes are audited (triggers of migration 0003; segment_states: the rows of
#: segment edits only, migration 0005).
AUDITED_TABLES = (
    "api_tokens", "campaign_communes", "campaign_inspectors", "campaign_operators", "campaigns",
    "checklist_items", "checklist_versions", "inspection_results", "inspections", "operators",
    "penalty_decisions", "penalty_violations", "photos", "placement_reports", "plan_routes",
    "segment_states", "undergrounding_plans", "users", "violations",
)

#: Keys never shown from an image, even if a trigger were changed to keep them.
SECRET_KEYS = frozenset({"token_sha256"})

MAX_LIMIT = 1000


@dataclass(frozen=True)
class AuditCursor:
    """Where a page ends: the last entry's time and id (pages go newest first)."""

    at: datetime
    id: int

    def encode(self) -> str:
        """Opaque URL-safe text for a ``cursor`` query parameter."""
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> AuditCursor:
        """Read a cursor made by :meth:`encode` (ValidationFailed, field ``cursor``, if not)."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, entry_id = raw.split("|")
            cursor = cls(datetime.fromisoformat(at), int(entry_id))
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid("cursor", "not a cursor from a 'next' link of this list") from exc
        if cursor.at.tzinfo is None:
            raise invalid("cursor", "not a cursor from a 'next' link of this list")
        return cursor


@dataclass(frozen=True)
class AuditPage:
    """One page of entries and the cursor of the next page (None on the last page)."""

    entries: list[AuditEntry]
    next_cursor: AuditCursor | None


def scrub(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row image without secret columns."""
    if image is None:
        return None
    return {key: value for key, value in image.items() if key not in SECRET_KEYS}


def list_audit(
    session: Session,
    *,
    table: str | None = None,
    row_key: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: AuditCursor | None = None,
    limit: int = 100,
) -> AuditPage:
    """Audit entries newest first (by ``at``, then id), filtered by table, row key, actor
    (exact, e.g. ``user:alice``) and time (``since`` inclusive, ``until`` exclusive; aware
    datetimes), starting after ``cursor``. Keyset pagination: no count, no offset.

    Raises ValidationFailed (field ``table`` or ``limit``) for an unknown table or a bad limit.
    """
    if table is not None and table not in AUDITED_TABLES:
        raise invalid("table", f"{table!r} is not an audited table; audited tables: "
                               f"{', '.join(AUDITED_TABLES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"limit must be between 1 and {MAX_LIMIT}")
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if table is not None:
        query = query.where(AuditEntry.table_name == table)
    if row_key is not None:
        query = query.where(AuditEntry.row_key == row_key)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if cursor is not None:
        query = query.where(tuple_(AuditEntry.at, AuditEntry.id) < tuple_(cursor.at, cursor.id))
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = AuditCursor(rows[-1].at, rows[-1].id) if more else None
    return AuditPage(rows, next_cursor)
