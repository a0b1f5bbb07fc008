"""The checklist catalogue: versions of checklist items loaded from TOML files.

The bundled file ``gis/compliance/data/qcvn33_2019.toml`` is loaded when the database is migrated.
A version never changes once loaded (the database refuses UPDATE/DELETE of its items); local
values are a new file with a new ``code``, loaded with :func:`load_catalogue`. The version in force
on a date is the one with the latest ``effective_from`` on or before it.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
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


def version_in_force(session: Session, on: date) -> ChecklistVersion:
    """The catalogue version in force on ``on`` (latest ``effective_from`` on or before it)."""
    version = session.scalar(
        select(ChecklistVersion)
        .where(ChecklistVersion.effective_from <= on)
        .order_by(ChecklistVersion.effective_from.desc(), ChecklistVersion.id.desc())
        .limit(1)
    )
    if version is None:
        raise NotFoundError(f"no checklist version is in force on {on.isoformat()}")
    return version


def items_for(version: ChecklistVersion, placement: str) -> list[ChecklistItem]:
    """The items of ``version`` that apply to a segment of ``placement``, in catalogue order."""
    return [item for item in version.items if placement in item.placements]
