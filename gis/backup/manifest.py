"""The archive's layout, its manifest (what a restore must find again), and the errors."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from gis.errors import GisError

#: Version of the archive layout; a restore refuses any other.
FORMAT_VERSION = 1


MANIFEST = "manifest.json"


DUMP = "database.dump"


PHOTOS = "photos/"


#: Largest manifest accepted when reading an archive (bytes).
MAX_MANIFEST_BYTES = 256 * 2**20


class BackupError(GisError):
    """A backup cannot be written, or an archive cannot be restored; the message says why."""


class ToolError(BackupError):
    """``pg_dump``/``pg_restore`` is missing, too old, or failed."""


class ArchiveError(BackupError):
    """The archive is not a complete, undamaged telecom-gis backup; nothing was restored."""


class TargetError(BackupError):
    """The target database or photo directory cannot take the restore; nothing was written."""


@dataclass(frozen=True)
class TableFacts:
    """One table: its rows and a checksum of their stored columns (order-independent sum of
    the rows' MD5s, rendered under :data:`gis.backup.facts.CHECKSUM_SETTINGS`)."""

    rows: int
    checksum: str


@dataclass(frozen=True)
class FileFacts:
    """One file of the archive: its size in bytes and SHA-256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an archive holds and what a restore must find again."""

    format_version: int
    created_at: str
    database: str
    schema_revision: str | None
    server_version: str
    postgis_version: str | None
    extensions: dict[str, str]
    settings: list[str]
    roles: dict[str, bool]
    tables: dict[str, TableFacts]
    dump: FileFacts
    photos: dict[str, FileFacts]
    photos_missing: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        """The manifest as indented UTF-8 JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse ``manifest.json``; :class:`ArchiveError` names the field that is wrong."""
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArchiveError(f"{MANIFEST} is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ArchiveError(f"{MANIFEST} is not a JSON object")
        version = _field(raw, "format_version", int)
        if version != FORMAT_VERSION:
            raise ArchiveError(f"{MANIFEST}: format_version {version} is not supported (this "
                               f"telecom-gis reads version {FORMAT_VERSION})")
        try:
            return cls(
                format_version=version,
                created_at=_field(raw, "created_at", str),
                database=_field(raw, "database", str),
                schema_revision=_field(raw, "schema_revision", (str, type(None))),
                server_version=_field(raw, "server_version", str),
                postgis_version=_field(raw, "postgis_version", (str, type(None))),
                extensions={str(k): str(v) for k, v in _field(raw, "extensions", dict).items()},
                settings=[str(s) for s in _field(raw, "settings", list)],
                roles={str(k): bool(v) for k, v in _field(raw, "roles", dict).items()},
                tables={str(k): TableFacts(int(v["rows"]), str(v["checksum"]))
                        for k, v in _field(raw, "tables", dict).items()},
                dump=_file_facts(_field(raw, "dump", dict)),
                photos={str(k): _file_facts(v) for k, v in _field(raw, "photos", dict).items()},
                photos_missing=[str(p) for p in raw.get("photos_missing", [])],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArchiveError(f"{MANIFEST} is malformed: {exc!r}") from exc


def _field(raw: dict, name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in raw:
        raise ArchiveError(f"{MANIFEST} lacks the field {name!r}")
    value = raw[name]
    if not isinstance(value, kind):
        raise ArchiveError(f"{MANIFEST}: {name!r} has the wrong type ({type(value).__name__})")
    return value


def _file_facts(raw: dict) -> FileFacts:
    size, sha = raw["size"], raw["sha256"]
    if not isinstance(size, int) or size < 0 or not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
        raise ValueError(f"bad size or sha256 in {raw!r}")
    return FileFacts(size, sha)
