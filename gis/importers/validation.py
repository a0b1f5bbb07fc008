"""Row validation: every check runs on whole columns and logs its problems per row.

Nothing here touches the database; what validation needs from it (registered operators,
existing routes, the database's today) comes in :class:`Lookups`. The result is a table of the
good rows, ready for writing, and the problems of the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from pyproj import CRS

from gis.choices import DEFAULT_KIND, KINDS_BY_PLACEMENT, Placement
from gis.errors import MappingError
from gis.importers.cells import as_text, first_occurrence, lookup_distinct, parse_date
from gis.importers.geometry import check_geometry
from gis.importers.mapping import ALLOWED_VALUES, PLACEMENT_OF_KIND, Mapping
from gis.importers.reading import SourceLayer
from gis.importers.report import ProblemLog, RowProblem

#: The earliest state date the history accepts (database check constraint).
EARLIEST_STATE_DATE = date(1990, 1, 1)

#: Longest route code the database stores.
ROUTE_CODE_MAX = 64

#: Longest text stored from a row's free-text fields (characters): an id or a street name is
#: far shorter; a longer cell is a wrong column or a broken file, refused rather than stored.
TEXT_MAX = {"source_fid": 255, "route_name": 500, "street": 500}

#: Columns of the validated rows handed to the writer.
ROW_COLUMNS = (
    "row_no",
    "source_fid",
    "operator_id",
    "route_code",
    "route_name",
    "street",
    "tier",
    "placement",
    "kind_given",
    "kind_default",
    "tidied",
    "lifecycle",
    "state_date",
    "geom",
)

_FITTING_KINDS = {f"{p.value}/{k.value}" for p, kinds in KINDS_BY_PLACEMENT.items() for k in kinds}


@dataclass(frozen=True)
class Lookups:
    """What validation needs to know from the database."""

    operators: dict[str, int]  # operator code (upper case) -> id
    routes: dict[str, int]  # code of an existing route named in the file -> its operator id
    today: date  # the database's current date


@dataclass
class ValidatedLayer:
    """Good rows (columns :data:`ROW_COLUMNS`, geometry in EPSG:4326) and the problems found."""

    rows: pd.DataFrame
    problems: list[RowProblem]
    bad_rows: int


def read_fields(
    layer: SourceLayer, mapping: Mapping, operator_option: str | None
) -> dict[str, np.ndarray]:
    """Return each mapped field of ``layer`` as text (None = empty cell).

    Raises MappingError when a required field has neither a column nor a constant.
    """
    columns = mapping.resolve_columns(layer.attributes.columns, layer.implicit_columns)
    file_columns = ", ".join(map(str, layer.attributes.columns)) or "none"
    requirements = {
        "source_fid": True,
        "operator": operator_option is None and "operator" not in mapping.defaults,
        "placement": "placement" not in mapping.defaults,
    }
    for key, required in requirements.items():
        if required and key not in columns:
            looked = ", ".join(mapping.columns.get(key, ())) or "nothing"
            extra = " or give --operator CODE" if key == "operator" else ""
            raise MappingError(
                f"{layer.file_name} has no column for {key} (looked for: {looked}; the file has: "
                f'{file_columns}); name it in a mapping file, [columns] {key} = "..."{extra}'
            )
    return {
        key: as_text(layer.attributes[column])
        for key, column in columns.items()
        if key != "geometry"
    }


def validate(
    layer: SourceLayer,
    texts: dict[str, np.ndarray],
    mapping: Mapping,
    *,
    source_crs: CRS,
    lookups: Lookups,
    operator_option: str | None = None,
) -> ValidatedLayer:
    """Check every row of ``layer``; return the good rows and a problem per failed check."""
    n = len(layer)
    log = ProblemLog(n)
    rows = layer.row_numbers
    unit = layer.row_unit
    column = _ColumnReader(texts, mapping, log, n)

    source_fid = column.text("source_fid")
    log.add(np.equal(source_fid, None), "source_fid", "source_fid is missing")
    first = first_occurrence(source_fid)
    duplicate = (first >= 0) & (first != np.arange(n))
    log.add(
        duplicate,
        "source_fid",
        [
            f"duplicate source_fid {source_fid[i]!r}: first used on {unit} {rows[first[i]]}"
            for i in np.flatnonzero(duplicate)
        ],
    )

    operator_id, operator_code = _operators(column, lookups, operator_option)
    route_code = column.text("route_code")
    log.add(_longer_than(route_code, ROUTE_CODE_MAX), "route_code",
            f"route_code is longer than {ROUTE_CODE_MAX} characters")
    _route_owners(route_code, operator_id, operator_code, lookups, log, rows, unit)
    tier = column.translated("tier")
    _disagreements(route_code, tier, log, "tier", rows, unit)

    placement, kind_given = _placements(column)
    tidied = column.translated("tidied", allowed_hint="true/false, yes/no, 1/0, có/không")
    lifecycle = column.translated("lifecycle")
    state_date = _state_dates(column, lookups.today)
    route_name = column.text("route_name")
    street = column.text("street")
    _check_free_text(
        {"source_fid": source_fid, "route_code": route_code, "route_name": route_name,
         "street": street},
        log,
    )

    geom = check_geometry(layer.geometry, source_crs, log, layer.geometry_errors)

    good = ~log.bad
    kind_default = np.full(n, None, dtype=object)
    for value, kind in DEFAULT_KIND.items():
        kind_default[placement == value.value] = kind.value
    data = {
        "row_no": rows,
        "source_fid": source_fid,
        "operator_id": operator_id,
        "route_code": route_code,
        "route_name": route_name,
        "street": street,
        "tier": tier,
        "placement": placement,
        "kind_given": kind_given,
        "kind_default": kind_default,
        "tidied": tidied,
        "lifecycle": lifecycle,
        "state_date": state_date,
        "geom": geom,
    }
    # Object columns as they are: inferring pandas' string dtype costs more than it gives.
    frame = pd.DataFrame(
        {key: value[good] for key, value in data.items()}, columns=list(ROW_COLUMNS), dtype=object
    )
    return ValidatedLayer(
        rows=frame.reset_index(drop=True),
        problems=log.problems(rows, source_fid),
        bad_rows=int(log.bad.sum()),
    )


#: Characters PostgreSQL text cannot hold: NUL, and lone surrogates (bytes of the file that
#: were not UTF-8, as the readers decode them).
_UNSTORABLE = "[\x00\ud800-\udfff]"


def storable(text: str) -> bool:
    """Whether PostgreSQL can take ``text`` (no NUL, no lone surrogate)."""
    return re.search(_UNSTORABLE, text) is None


def _longer_than(values: np.ndarray, limit: int) -> np.ndarray:
    """Where ``values`` (text or None) has more than ``limit`` characters."""
    lengths = np.fromiter((0 if v is None else len(v) for v in values), dtype=np.int64,
                          count=len(values))
    return lengths > limit


def _check_free_text(columns: dict[str, np.ndarray], log: ProblemLog) -> None:
    """Log text the database must not get: NUL characters (PostgreSQL text cannot hold them),
    bytes that were not UTF-8 in the file (read as lone surrogates) and cells over
    :data:`TEXT_MAX` characters."""
    for field, values in columns.items():
        present = ~np.equal(values, None)
        odd = np.zeros(len(values), dtype=bool)
        # One search over the whole column first: a clean column (the usual case) costs one
        # pass in C, not one regular expression per cell.
        if re.search(_UNSTORABLE, "".join(values[present])):
            odd[present] = [not storable(v) for v in values[present]]
        nul = odd.copy()
        nul[odd] = ["\x00" in value for value in values[odd]]
        log.add(nul, field, f"{field} contains a NUL character (\\x00), which cannot be stored")
        log.add(odd & ~nul, field, f"{field} is not valid UTF-8 text; save the file as UTF-8")
        if field in TEXT_MAX:
            log.add(_longer_than(values, TEXT_MAX[field]) & ~odd, field,
                    f"{field} is longer than {TEXT_MAX[field]} characters")


class _ColumnReader:
    """Reads one field as text or as translated values, filling the mapping's constants."""

    def __init__(self, texts: dict[str, np.ndarray], mapping: Mapping, log: ProblemLog, n: int):
        self.texts, self.mapping, self.log, self.n = texts, mapping, log, n

    def raw(self, key: str) -> np.ndarray:
        """The field's text, None where empty (or everywhere when the file has no column)."""
        found = self.texts.get(key)
        return found if found is not None else np.full(self.n, None, dtype=object)

    def fill_default(self, key: str, values: np.ndarray) -> np.ndarray:
        """``values`` with the mapping's constant for ``key`` where they are None."""
        if key in self.mapping.defaults:
            values = values.copy()
            values[np.equal(values, None)] = self.mapping.defaults[key]
        return values

    def text(self, key: str) -> np.ndarray:
        """The field's text with the mapping's constant filled in."""
        return self.fill_default(key, self.raw(key))

    def translated(self, key: str, allowed_hint: str | None = None) -> np.ndarray:
        """The field's values translated to ours; unknown values are logged, left None."""
        raw = self.raw(key)
        values, unknown = lookup_distinct(raw, self.mapping.lookup(key))
        allowed = allowed_hint or ", ".join(str(v).lower() for v in ALLOWED_VALUES[key])
        self.log.add(
            unknown,
            key,
            [
                f"unknown {key} {raw[i]!r}; allowed: {allowed} (or translate it in a mapping "
                f"file under [values.{key}])"
                for i in np.flatnonzero(unknown)
            ],
        )
        filled = self.fill_default(key, values)
        filled[unknown] = None
        return filled


def _operators(
    column: _ColumnReader, lookups: Lookups, operator_option: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Operator id and code per row (None where missing or unknown, which is logged)."""
    codes, _ = lookup_distinct(column.raw("operator"), column.mapping.lookup("operator"))
    fallback = (
        operator_option.strip().upper()
        if operator_option
        else column.mapping.defaults.get("operator")
    )
    if fallback is not None:
        codes[np.equal(codes, None)] = fallback
    column.log.add(
        np.equal(codes, None),
        "operator",
        "operator is missing; give it in the file or for all rows with --operator CODE",
    )
    ids, unknown = lookup_distinct(codes, lookups.operators.get)
    known = ", ".join(sorted(lookups.operators)) or "none registered yet"
    column.log.add(
        unknown,
        "operator",
        [
            f"unknown operator {codes[i]!r}; known operators: {known}"
            for i in np.flatnonzero(unknown)
        ],
    )
    codes[unknown] = None
    return ids, codes


def _route_owners(
    route_code: np.ndarray,
    operator_id: np.ndarray,
    operator_code: np.ndarray,
    lookups: Lookups,
    log: ProblemLog,
    rows: np.ndarray,
    unit: str,
) -> None:
    """A route belongs to one operator: in the database, and across the file's rows."""
    has_both = ~np.equal(route_code, None) & ~np.equal(operator_id, None)
    owner = np.full(len(route_code), None, dtype=object)
    owner[has_both], _ = lookup_distinct(route_code[has_both], lookups.routes.get)
    foreign = has_both & ~np.equal(owner, None) & (owner != operator_id)
    code_of = {v: k for k, v in lookups.operators.items()}
    log.add(
        foreign,
        "route_code",
        [
            f"route {route_code[i]!r} belongs to operator {code_of.get(owner[i], owner[i])}, not "
            f"{operator_code[i]}"
            for i in np.flatnonzero(foreign)
        ],
    )
    _disagreements(
        np.where(foreign, None, route_code),
        operator_code,
        log,
        "operator",
        rows,
        unit,
        what="route {code!r} has operator {first!r} on {unit} {row}, not {value!r}",
    )


def _disagreements(
    keys: np.ndarray,
    values: np.ndarray,
    log: ProblemLog,
    field: str,
    rows: np.ndarray,
    unit: str,
    what: str = "route {code!r} has {field} {first!r} on {unit} {row}, not {value!r}",
) -> None:
    """Log rows whose value differs from the first row with a value for the same key."""
    keyed = np.where(np.equal(values, None), None, keys)
    first = first_occurrence(keyed)
    has = first >= 0
    differ = has.copy()
    differ[has] = values[has] != values[first[has]]
    log.add(
        differ,
        field,
        [
            what.format(
                code=keys[i],
                field=field,
                first=values[first[i]],
                unit=unit,
                row=rows[first[i]],
                value=values[i],
            )
            for i in np.flatnonzero(differ)
        ],
    )


def _placements(column: _ColumnReader) -> tuple[np.ndarray, np.ndarray]:
    """Placement per row, and the finer kind when the file gives or implies one."""
    hint = "overhead, underground, or a kind: aerial, duct, direct_buried, tunnel"
    target = column.translated("placement", allowed_hint=hint)
    column.log.add(
        np.equal(target, None) & np.equal(column.raw("placement"), None),
        "placement",
        "placement is missing (overhead or underground)",
    )
    placement, _ = lookup_distinct(target, lambda value: PLACEMENT_OF_KIND.get(value, value))
    implied = np.where(placement != target, target, None)
    kind = column.raw("placement_kind")
    given, unknown = lookup_distinct(kind, column.mapping.lookup("placement_kind"))
    hint_kind = ", ".join(ALLOWED_VALUES["placement_kind"])
    column.log.add(
        unknown,
        "placement_kind",
        [
            f"unknown placement_kind {kind[i]!r}; allowed: {hint_kind} (or translate it in a "
            "mapping file under [values.placement_kind])"
            for i in np.flatnonzero(unknown)
        ],
    )
    given = np.where(np.equal(given, None), implied, given)
    given = column.fill_default("placement_kind", given)
    checkable = ~np.equal(given, None) & ~np.equal(placement, None)
    pairs = (
        pd.Series(placement[checkable], dtype=object)
        + "/"
        + pd.Series(given[checkable], dtype=object)
    )
    misfit = checkable.copy()
    misfit[checkable] = ~pairs.isin(_FITTING_KINDS).to_numpy()
    column.log.add(
        misfit,
        "placement_kind",
        [
            f"placement_kind {given[i]!r} does not fit placement {placement[i]!r} (with "
            f"{placement[i]}: {', '.join(KINDS_BY_PLACEMENT[Placement(placement[i])])})"
            for i in np.flatnonzero(misfit)
        ],
    )
    return placement, given


def _state_dates(column: _ColumnReader, today: date) -> np.ndarray:
    """State date per row (None: use the import's effective date); bad dates are logged."""
    raw = column.raw("state_date")
    dates, unknown = lookup_distinct(raw, parse_date)
    column.log.add(
        unknown,
        "state_date",
        [
            f"cannot read the date {raw[i]!r}; write YYYY-MM-DD or DD/MM/YYYY"
            for i in np.flatnonzero(unknown)
        ],
    )
    dates = column.fill_default("state_date", dates)
    present = ~np.equal(dates, None)
    future = present.copy()
    future[present] = dates[present] > today
    column.log.add(
        future,
        "state_date",
        [
            f"state_date {dates[i]} is in the future (today is {today}); record states when they "
            "happen"
            for i in np.flatnonzero(future)
        ],
    )
    early = present.copy()
    early[present] = dates[present] < EARLIEST_STATE_DATE
    column.log.add(
        early,
        "state_date",
        [
            f"state_date {dates[i]} is before {EARLIEST_STATE_DATE}, the earliest the history "
            "accepts"
            for i in np.flatnonzero(early)
        ],
    )
    dates[future | early] = None
    return dates
