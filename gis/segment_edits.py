"""Editing one segment's state with optimistic concurrency: no lost update.

An edit appends a dated state row (:func:`gis.history.record_state_change`); the segment's
current columns follow from the history trigger. Whoever edits must say which version they
saw: its ``version`` (an HTTP ETag), read with the segment. Two people editing from the
same version: the first edit wins, the second is refused (:class:`VersionMismatch`) and sees
the segment as it now is before deciding again.

The version is ``<xmin>.<latest state id>``: the transaction id that last wrote the segment's
row (PostgreSQL's ``xmin``, which any update changes) and the newest row of its history, so
an import, a confirmed placement report or another edit all change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.choices import Lifecycle, Placement, PlacementKind
from gis.compliance.rules import local_today
from gis.errors import GisError, NotFoundError, invalid
from gis.history import record_state_change
from gis.models import SegmentState

#: ``source`` of the state rows this module writes.
SOURCE = "edit"

_VERSION = text(
    "SELECT s.xmin::text || '.' || coalesce((SELECT max(h.id) FROM segment_states h"
    " WHERE h.segment_id = s.id), 0) FROM cable_segments s WHERE s.id = :id")


class VersionMissing(GisError):
    """An edit that does not say which version of the segment it was made from."""


class VersionMismatch(GisError):
    """The segment changed since the version the edit was made from; ``current`` is its
    version now."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current


def segment_version(session: Session, segment_id: int) -> str:
    """The segment's current version (see the module docstring); NotFoundError when it does
    not exist or the caller may not see it."""
    version = session.scalar(_VERSION, {"id": segment_id})
    if version is None:
        raise NotFoundError(f"segment {segment_id} does not exist (or is not visible to you)")
    return version


def _lock(session: Session, segment_id: int) -> None:
    """Lock the segment's row until the transaction ends: a concurrent edit waits here, and
    once it may go on it reads the version the first edit left (a new statement, so a new
    snapshot under READ COMMITTED)."""
    found = session.execute(text("SELECT 1 FROM cable_segments WHERE id = :id FOR UPDATE"),
                            {"id": segment_id}).first()
    if found is None:
        raise NotFoundError(f"segment {segment_id} does not exist (or is not visible to you)")


@dataclass(frozen=True)
class StateEdit:
    """What an edit sets from ``effective_on``; fields left None keep their value."""

    effective_on: date
    note: str
    placement: Placement | None = None
    placement_kind: PlacementKind | None = None
    tidied: bool | None = None
    lifecycle: Lifecycle | None = None


def edit_state(session: Session, segment_id: int, seen: list[str] | None,
               edit: StateEdit) -> tuple[SegmentState, str]:
    """Append ``edit`` to the segment's history if it is still at a version in ``seen`` (an
    If-Match list; ``*`` matches any, an empty list nothing; None: not said). Returns the new
    state row and the new version.

    Raises VersionMissing (no ``seen``), VersionMismatch, NotFoundError, or ValidationFailed
    naming ``effective_on`` (in the future, or before the latest state: history stays in date
    order), ``note`` (empty) or ``placement_kind`` (does not fit the placement)."""
    _lock(session, segment_id)
    current = segment_version(session, segment_id)
    if seen is None:
        raise VersionMissing(
            "say which version of the segment this edit was made from: send If-Match with the "
            "ETag of GET /segments/{id}")
    if "*" not in seen and current not in seen:
        raise VersionMismatch(
            f"segment {segment_id} changed since version {', '.join(seen)} (now {current}); "
            "read it again and redo the edit if it still applies", current)
    if edit.effective_on > local_today():
        raise invalid("effective_on", "a state cannot start in the future")
    latest = session.scalar(select(func.max(SegmentState.effective_date))
                            .where(SegmentState.segment_id == segment_id))
    if latest is not None and edit.effective_on < latest:
        raise invalid("effective_on", f"the segment has a state dated {latest.isoformat()}; an "
                                      "edit cannot start before it (history stays in date order)")
    if not edit.note.strip():
        raise invalid("note", "say why the state changes")
    try:
        row = record_state_change(
            session, segment_id, effective_date=edit.effective_on, source=SOURCE,
            placement=edit.placement, placement_kind=edit.placement_kind, tidied=edit.tidied,
            lifecycle=edit.lifecycle, note=edit.note.strip())
    except ValueError as exc:  # a kind that does not fit the placement
        raise invalid("placement_kind", str(exc)) from exc
    return row, segment_version(session, segment_id)
