"""Attribute mapping: which column holds each of our fields, and what the file's values mean.

A mapping is a small TOML file (see ``default_mapping.toml`` for the format, documented there).
:func:`read_mapping` lays the user's file over the default one. Values are checked when the
mapping is read, so a typo in a mapping file is a :class:`~gis.errors.MappingError` naming the
key, never a surprise halfway through an import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from gis.choices import KINDS_BY_PLACEMENT, Lifecycle, Placement, PlacementKind, RouteTier
from gis.errors import MappingError
from gis.importers.cells import normalise, parse_date, slug

#: Our fields, in the order problems are reported.
FIELDS: tuple[str, ...] = (
    "source_fid",
    "operator",
    "route_code",
    "route_name",
    "street",
    "tier",
    "placement",
    "placement_kind",
    "tidied",
    "lifecycle",
    "state_date",
)

#: Keys of ``[columns]``: our fields plus the WKT column of a CSV file.
COLUMN_KEYS: tuple[str, ...] = (*FIELDS, "geometry")

#: The values each translatable field may take (placement also takes a finer kind, which
#: implies the placement: "duct" means underground in a duct).
ALLOWED_VALUES: dict[str, tuple[Any, ...]] = {
    "placement": (*(p.value for p in Placement), *(k.value for k in PlacementKind)),
    "placement_kind": tuple(k.value for k in PlacementKind),
    "tidied": (True, False),
    "lifecycle": tuple(v.value for v in Lifecycle),
    "tier": tuple(v.value for v in RouteTier),
}

#: Fields whose file values may be translated with ``[values.<field>]``. Operator targets are
#: codes, checked against the database at import time.
VALUE_FIELDS: tuple[str, ...] = (*ALLOWED_VALUES, "operator")

#: Fields that may have a constant in ``[defaults]`` (an id cannot be a constant).
DEFAULT_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f != "source_fid")

#: The placement a finer kind implies.
PLACEMENT_OF_KIND: dict[str, str] = {
    kind.value: placement.value for placement, kinds in KINDS_BY_PLACEMENT.items() for kind in kinds
}

DEFAULT_MAPPING_NAME = "default_mapping.toml"


@dataclass(frozen=True)
class ValueTable:
    """Translations of one field's values: exact (case-folded) first, then accent-free."""

    exact: dict[str, Any] = field(default_factory=dict)
    loose: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: Any) -> None:
        """Add a translation (a later add for the same key wins)."""
        self.exact[normalise(key)] = value
        self.loose[slug(key)] = value

    def get(self, text: str) -> Any | None:
        """The translation of ``text``, or None."""
        found = self.exact.get(normalise(text))
        return found if found is not None else self.loose.get(slug(text))


@dataclass(frozen=True)
class Mapping:
    """A resolved mapping: column candidates, value translations and constants per field."""

    columns: dict[str, tuple[str, ...]]
    explicit_columns: frozenset[str]
    values: dict[str, ValueTable]
    defaults: dict[str, Any]
    origin: str

    def resolve_columns(
        self, file_columns: Iterable[str], implicit: Iterable[str] = ()
    ) -> dict[str, str]:
        """Return ``{field: file column}`` for every field found among ``file_columns``.

        ``implicit`` columns (ids a format adds by itself: a GeoPackage's fid, a KML Placemark's
        id) are used only for fields that no other column provides. Raises MappingError when a
        column the user named explicitly is not in the file.
        """
        available = [str(c) for c in file_columns]
        fallback = {str(c) for c in implicit}
        resolved = _match(self.columns, [c for c in available if c not in fallback])
        for key, column in _match(self.columns, [c for c in available if c in fallback]).items():
            resolved.setdefault(key, column)
        for key in self.explicit_columns:
            if key not in resolved and self.columns[key]:
                raise MappingError(
                    f"{self.origin}: [columns] {key} = {_show(self.columns[key])} is not a column "
                    f"of the file (its columns: {', '.join(available) or 'none'})"
                )
        return resolved

    def lookup(self, key: str) -> Callable[[str], Any | None]:
        """Return the function translating one file value of ``key`` to ours (None: unknown)."""
        table = self.values.get(key, ValueTable())
        if key == "operator":
            return lambda text: str(table.get(text) or text).strip().upper()
        return table.get


def _match(columns: dict[str, tuple[str, ...]], available: list[str]) -> dict[str, str]:
    """First candidate of each field found in ``available``: exact (case-folded), then by slug."""
    by_exact: dict[str, str] = {}
    by_slug: dict[str, str] = {}
    for column in available:
        by_exact.setdefault(normalise(column), column)
        by_slug.setdefault(slug(column), column)
    resolved: dict[str, str] = {}
    for key, candidates in columns.items():
        found = next(
            (by_exact[normalise(c)] for c in candidates if normalise(c) in by_exact), None
        ) or next((by_slug[slug(c)] for c in candidates if slug(c) in by_slug), None)
        if found is not None:
            resolved[key] = found
    return resolved


def read_mapping(path: Path | str | None = None) -> Mapping:
    """Read the default mapping, with the TOML file at ``path`` (if any) laid over it."""
    default_text = (
        resources.files("gis.importers").joinpath(DEFAULT_MAPPING_NAME).read_text(encoding="utf-8")
    )
    columns, values, defaults = _parse(
        _load(default_text, DEFAULT_MAPPING_NAME), DEFAULT_MAPPING_NAME
    )
    explicit: set[str] = set()
    origin = "default mapping"
    if path is not None:
        origin = str(path)
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise MappingError(f"mapping file {file} does not exist") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"cannot read mapping file {file}: {exc}") from exc
        user_columns, user_values, user_defaults = _parse(_load(text, origin), origin)
        columns.update(user_columns)
        explicit.update(user_columns)
        for key, table in user_values.items():
            values[key].exact.update(table.exact)
            values[key].loose.update(table.loose)
        defaults.update(user_defaults)
    tables = _with_identity(values)
    return Mapping(
        columns=columns,
        explicit_columns=frozenset(explicit),
        values=tables,
        defaults=_check_defaults(defaults, tables, origin),
        origin=origin,
    )


def _load(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin} is not valid TOML: {exc}") from exc


def _parse(
    doc: dict[str, Any], origin: str
) -> tuple[dict[str, tuple[str, ...]], dict[str, ValueTable], dict[str, Any]]:
    unknown = sorted(set(doc) - {"columns", "values", "defaults"})
    if unknown:
        raise MappingError(
            f"{origin}: unknown section or key {unknown[0]!r} (allowed: [columns], "
            "[values.<field>], [defaults])"
        )
    columns = {
        key: _column_names(value, f"[columns] {key}", origin)
        for key, value in _section(doc, "columns", COLUMN_KEYS, origin).items()
    }
    values: dict[str, ValueTable] = {key: ValueTable() for key in VALUE_FIELDS}
    for key, table in _section(doc, "values", VALUE_FIELDS, origin).items():
        if not isinstance(table, dict):
            raise MappingError(f'{origin}: [values.{key}] must be a table of "file value" = value')
        for file_value, ours in table.items():
            values[key].add(
                file_value, _check_value(key, ours, f"[values.{key}] {file_value!r}", origin)
            )
    defaults = dict(_section(doc, "defaults", DEFAULT_FIELDS, origin))
    return columns, values, defaults


def _section(doc: dict[str, Any], name: str, keys: tuple[str, ...], origin: str) -> dict[str, Any]:
    section = doc.get(name, {})
    if not isinstance(section, dict):
        raise MappingError(f"{origin}: {name} must be a table ([{name}])")
    for key in section:
        if key not in keys:
            raise MappingError(
                f"{origin}: [{name}] {key}: unknown field (allowed: {', '.join(keys)})"
            )
    return section


def _column_names(value: Any, where: str, origin: str) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise MappingError(f"{origin}: {where} must be a column name or a list of names")
    return tuple(n for n in names if n.strip())


def _check_value(key: str, value: Any, where: str, origin: str) -> Any:
    if key == "operator":
        if not isinstance(value, str) or not value.strip():
            raise MappingError(f"{origin}: {where} must be an operator code")
        return value.strip().upper()
    allowed = ALLOWED_VALUES[key]
    if key == "tidied" and isinstance(value, str):
        value = {"true": True, "false": False}.get(normalise(value), value)
    if value not in allowed or isinstance(value, bool) != (key == "tidied"):
        raise MappingError(f"{origin}: {where} = {value!r} is not one of {_show(allowed)}")
    return value


def _with_identity(values: dict[str, ValueTable]) -> dict[str, ValueTable]:
    """Add our own values as translations of themselves (true/false for tidied)."""
    tables: dict[str, ValueTable] = {}
    for key, table in values.items():
        merged = ValueTable()
        for value in ALLOWED_VALUES.get(key, ()):
            merged.add(str(value).lower(), value)
        merged.exact.update(table.exact)
        merged.loose.update(table.loose)
        tables[key] = merged
    return tables


def _check_defaults(
    defaults: dict[str, Any], tables: dict[str, ValueTable], origin: str
) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in defaults.items():
        where = f"[defaults] {key}"
        if key == "state_date":
            parsed = value if isinstance(value, date) else parse_date(str(value))
            if parsed is None:
                raise MappingError(f"{origin}: {where} = {value!r} is not a date (YYYY-MM-DD)")
            checked[key] = parsed
        elif key in ALLOWED_VALUES:
            translated = value if isinstance(value, bool) else tables[key].get(str(value))
            checked[key] = _check_value(
                key, translated if translated is not None else value, where, origin
            )
        elif key == "operator":
            checked[key] = _check_value(key, value, where, origin)
        elif isinstance(value, str) and value.strip():
            checked[key] = value.strip()
        else:
            raise MappingError(f"{origin}: {where} must be a non-empty text")
    return checked


def _show(values: Iterable[Any]) -> str:
    return ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
