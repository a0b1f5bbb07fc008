"""Read the checklist catalogue: its versions, one version's items, the items in force.

Loading versions is :func:`gis.compliance.catalogue.load_catalogue`; here is only reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.compliance.catalogue import items_for, version_in_force
from gis.compliance.rules import local_today
from gis.errors import NotFoundError
from gis.models import ChecklistItem, ChecklistVersion


@dataclass(frozen=True)
class VersionSummary:
    """A catalogue version with its item count; ``in_force`` on the date asked."""

    version: ChecklistVersion
    items: int
    in_force: bool


def list_versions(session: Session, on: date) -> list[VersionSummary]:
    """Every loaded version, oldest ``effective_from`` first, flagging the one in force on
    ``on``."""
    counts = dict(session.execute(
        select(ChecklistItem.version_id, func.count()).group_by(ChecklistItem.version_id)).all())
    versions = session.scalars(
        select(ChecklistVersion).order_by(ChecklistVersion.effective_from, ChecklistVersion.id)
    ).all()
    try:
        current = version_in_force(session, on).id
    except NotFoundError:
        current = None
    return [VersionSummary(v, counts.get(v.id, 0), v.id == current) for v in versions]


def is_in_force(session: Session, version: ChecklistVersion, on: date | None = None) -> bool:
    """Whether ``version`` is the one in force on ``on`` (default: today, local)."""
    try:
        return version_in_force(session, on or local_today()).id == version.id
    except NotFoundError:
        return False


def get_version(session: Session, code: str) -> ChecklistVersion:
    """The version ``code`` (NotFoundError when unknown); ``.items`` in catalogue order."""
    version = session.scalar(select(ChecklistVersion).where(ChecklistVersion.code == code))
    if version is None:
        raise NotFoundError(f"no checklist version {code!r}")
    return version


def items_in_force(session: Session, on: date,
                   placement: str | None) -> tuple[ChecklistVersion, list[ChecklistItem]]:
    """The version in force on ``on`` and its items for ``placement`` (all when None): what an
    inspector fills in for a segment of that placement."""
    version = version_in_force(session, on)
    items = list(version.items) if placement is None else items_for(version, placement)
    return version, items
