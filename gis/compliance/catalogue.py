"""The checklist catalogue: versions of checklist items loaded from TOML files.

The bundled file ``gis/compliance/data/qcvn33_2019.toml`` is loaded when the database is migrated.
A version never changes once loaded (the database refuses UPDATE/DELETE of its items); local
values are a new file with a new ``code``, loaded with :func:`load_catalogue`. The version in force
on a date is the one with the latest ``effective_from`` on or before it.

Because a loaded version never changes, the items of a version are kept in this process once
read (:func:`version_snapshot`): keyed by the version's id, its content's SHA-256 and the ids of
its items, all read from the database on each use, so another database or a changed item set is
never served from the cache.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.choices import Placement, Severity
from gis.errors import GisError, NotFoundError
from gis.models import ChecklistItem, ChecklistVersion

BUNDLED = "qcvn33_2019.toml"


class CatalogueError(GisError):
    """A catalogue file is malformed, or clashes with a version already loaded."""


class ItemSpec(BaseModel):
    """One item of a catalogue file."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    text_vi: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    clause: str = Field(min_length=1)
    sources: list[str] = []
    severity: Severity
    placements: list[Placement] = Field(min_length=1)
    remediation_days: int = Field(ge=1, le=3650)
    remediation_days_sourced: bool = False
    measure_unit: str | None = None
    limit_kind: Literal["min", "max"] | None = None
    limit_value: Decimal | None = None
    limit_sourced: bool | None = None

    @model_validator(mode="after")
    def _limit_complete(self) -> ItemSpec:
        given = [self.limit_kind is not None, self.limit_value is not None,
                 self.limit_sourced is not None]
        if any(given) and not all(given):
            raise ValueError("limit_kind, limit_value and limit_sourced go together")
        if self.limit_kind is not None and not self.measure_unit:
            raise ValueError("an item with a limit needs a measure_unit")
        return self


class CatalogueSpec(BaseModel):
    """A whole catalogue file."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1)
    effective_from: date
    source: str | None = None
    sources: dict[str, str] = {}
    items: list[ItemSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> CatalogueSpec:
        codes = [item.code for item in self.items]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"item codes repeat: {', '.join(duplicates)}")
        unknown = sorted({s for i in self.items for s in i.sources} - set(self.sources))
        if unknown:
            raise ValueError(f"items cite sources missing from [sources]: {', '.join(unknown)}")
        return self


def bundled_path() -> Path:
    """Path of the bundled QCVN 33:2019 catalogue."""
    return Path(str(resources.files("gis.compliance") / "data" / BUNDLED))


def parse_catalogue(content: bytes, name: str = "catalogue") -> CatalogueSpec:
    """Parse and validate catalogue TOML; errors name the file and the field path."""
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{name}: not valid UTF-8 TOML: {exc}") from exc
    try:
        return CatalogueSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CatalogueError(f"{name}: {problems}") from exc


def load_catalogue(session: Session, path: Path | None = None) -> tuple[ChecklistVersion, bool]:
    """Load the catalogue at ``path`` (default: the bundled one) as a new version.

    Returns ``(version, created)``. Loading the same content again is a no-op; a different content
    under a code already loaded is refused (versions are immutable).
    """
    path = path or bundled_path()
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}") from exc
    spec = parse_catalogue(content, path.name)
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(ChecklistVersion).where(ChecklistVersion.code == spec.code))
    if existing is not None:
        if existing.content_sha256 != digest:
            raise CatalogueError(
                f"{path.name}: version {spec.code!r} is already loaded with other content; "
                "a loaded version never changes, so give the edited file a new code"
            )
        return existing, False
    version = ChecklistVersion(
        code=spec.code, title=spec.title, effective_from=spec.effective_from,
        source=spec.source, content_sha256=digest,
    )
    session.add(version)
    session.flush()
    session.add_all(
        ChecklistItem(
            version_id=version.id,
            position=position,
            code=item.code,
            text_vi=item.text_vi,
            text_en=item.text_en,
            clause=item.clause,
            sources=[f"{s} {spec.sources[s]}" for s in item.sources],
            severity=item.severity.value,
            placements=[p.value for p in item.placements],
            remediation_days=item.remediation_days,
            remediation_days_sourced=item.remediation_days_sourced,
            measure_unit=item.measure_unit,
            limit_kind=item.limit_kind,
            limit_value=item.limit_value,
            limit_sourced=item.limit_sourced,
        )
        for position, item in enumerate(spec.items, start=1)
    )
    session.flush()
    return version, True


def in_force_sql(on: str, columns: str = "v.id") -> str:
    """SQL query of ``columns`` (qualified with ``v.``) of the version in force on ``on`` (an SQL
    date expression, e.g. ``:on``): the latest ``effective_from`` on or before it, then the
    latest loaded. No row when none is in force."""
    return (f"SELECT {columns} FROM checklist_versions v WHERE v.effective_from <= {on}"
            " ORDER BY v.effective_from DESC, v.id DESC LIMIT 1")


def version_in_force(session: Session, on: date) -> ChecklistVersion:
    """The catalogue version in force on ``on`` (latest ``effective_from`` on or before it)."""
    version = session.scalar(
        select(ChecklistVersion).from_statement(text(in_force_sql(":on", "v.*"))),
        {"on": on})
    if version is None:
        raise NotFoundError(f"no checklist version is in force on {on.isoformat()}")
    return version


@dataclass(frozen=True)
class CatalogueItem:
    """One checklist item as loaded (see :class:`gis.models.ChecklistItem`): a plain value, safe
    to share between requests. ``limit_value`` is in ``measure_unit``."""

    id: int
    code: str
    position: int
    text_vi: str
    text_en: str
    severity: str
    placements: tuple[str, ...]
    remediation_days: int
    measure_unit: str | None
    limit_kind: str | None
    limit_value: Decimal | None


@dataclass(frozen=True)
class CatalogueVersion:
    """A loaded catalogue version with its items in catalogue order."""

    id: int
    code: str
    items: tuple[CatalogueItem, ...]


#: The columns that identify a version's content, read with each use (``v.`` is the version):
#: id, code, content SHA-256 and the ids of its items.
SNAPSHOT_COLUMNS = (
    "v.id AS version_id, v.code AS version_code, v.content_sha256,"
    " ARRAY(SELECT ci.id FROM checklist_items ci WHERE ci.version_id = v.id ORDER BY ci.id)"
    " AS item_ids"
)

_ITEMS: dict[tuple[int, str, tuple[int, ...]], tuple[CatalogueItem, ...]] = {}
_ITEMS_LOCK = threading.Lock()
#: Versions kept (a province has a handful; tests make many throwaway databases).
_ITEMS_KEPT = 64


def version_snapshot(session: Session, version_id: int, code: str, content_sha256: str,
                     item_ids: list[int]) -> CatalogueVersion:
    """The version ``version_id`` with its items, from this process's cache when the same
    version (id, content SHA-256 and item ids, as just read with :data:`SNAPSHOT_COLUMNS`)
    was read before, else from the database."""
    key = (version_id, content_sha256, tuple(item_ids))
    items = _ITEMS.get(key)
    if items is None:
        items = tuple(
            CatalogueItem(
                id=i.id, code=i.code, position=i.position, text_vi=i.text_vi,
                text_en=i.text_en, severity=i.severity, placements=tuple(i.placements),
                remediation_days=i.remediation_days, measure_unit=i.measure_unit,
                limit_kind=i.limit_kind, limit_value=i.limit_value)
            for i in session.scalars(select(ChecklistItem)
                                     .where(ChecklistItem.version_id == version_id)
                                     .order_by(ChecklistItem.position)))
        if tuple(sorted(i.id for i in items)) != key[2]:  # changed since: do not keep
            return CatalogueVersion(version_id, code, items)
        with _ITEMS_LOCK:
            if len(_ITEMS) >= _ITEMS_KEPT:
                _ITEMS.clear()
            _ITEMS[key] = items
    return CatalogueVersion(version_id, code, items)


def version_by_id(session: Session, version_id: int) -> CatalogueVersion:
    """The version ``version_id`` (which must exist) with its items."""
    row = session.execute(text(f"SELECT {SNAPSHOT_COLUMNS} FROM checklist_versions v"
                               " WHERE v.id = :id"), {"id": version_id}).one()
    return version_snapshot(session, row.version_id, row.version_code, row.content_sha256,
                            row.item_ids)


def items_for(version: ChecklistVersion | CatalogueVersion, placement: str) -> list:
    """The items (:class:`ChecklistItem` or :class:`CatalogueItem`, as ``version`` holds) of
    ``version`` that apply to a segment of ``placement``, in catalogue order."""
    return [item for item in version.items if placement in item.placements]
