"""``import_segments``: read, validate everything, then write in one SAVEPOINT (or nothing)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Text, any_, cast, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gis.crs import crs_label, resolve_source_crs, transformation_description
from gis.errors import ValidationFailed
from gis.importers.mapping import read_mapping
from gis.importers.options import ImportOptions, ImportOptionsError
from gis.importers.reading import SourceLayer, read_layer
from gis.importers.report import ImportReport, RowProblem
from gis.importers.validation import (
    EARLIEST_STATE_DATE,
    Lookups,
    read_fields,
    storable,
    validate,
)
from gis.importers.writing import WriteCounts, write_rows
from gis.models import CableRoute, ImportRun, Operator
from gis.progress import ProgressFn, no_progress


def import_segments(
    session: Session,
    path: Path | str,
    options: ImportOptions | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import the cable segments of one file into the network; return what was done.

    Every row is validated before anything is written. With problems and no ``skip_invalid``,
    ValidationFailed lists them all and nothing is written. Writing happens inside a SAVEPOINT
    of the caller's transaction (never committed here); ``dry_run`` rolls it back, so its counts
    are exact. One ``import_runs`` row records each real run.

    Raises ImportFileError (file), CRSError (coordinate system), MappingError (mapping file),
    ImportOptionsError (options), ValidationFailed (rows).
    """
    options = options or ImportOptions()
    report_progress = progress or no_progress
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    file = Path(path)

    mapping = read_mapping(options.mapping)
    report_progress("reading", 0, None)
    layer = read_layer(file, mapping, layer=options.layer)
    report_progress("reading", len(layer), len(layer))
    source_crs = resolve_source_crs(
        layer.crs,
        options.crs,
        file_name=file.name,
        force=options.force_crs,
        file_crs_implied=layer.crs_implied,
    )
    transformation = transformation_description(source_crs)

    report_progress("validating", 0, len(layer))
    texts = read_fields(layer, mapping, options.operator)
    _one_import_at_a_time(session)
    lookups = _lookups(session, texts.get("route_code"))
    effective_date = _effective_date(options, lookups)
    _check_operator_option(options.operator, lookups)
    checked = validate(
        layer,
        texts,
        mapping,
        source_crs=source_crs,
        lookups=lookups,
        operator_option=options.operator,
    )
    report_progress("validating", len(layer), len(layer))
    if checked.problems and not options.skip_invalid:
        raise ValidationFailed(
            _failure_message(layer, checked.problems, checked.bad_rows), checked.problems
        )

    source = options.source or file.stem
    savepoint = session.begin_nested()
    try:
        counts = (
            write_rows(
                session,
                checked.rows,
                source=source,
                effective_date=effective_date,
                note=f"import of {file.name}",
                progress=report_progress,
            )
            if len(checked.rows)
            else WriteCounts(0, 0, 0)
        )
        report = ImportReport(
            source=source,
            file_name=file.name,
            source_crs=crs_label(source_crs),
            rows_read=len(layer),
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            skipped=checked.problems,
            dry_run=options.dry_run,
            seconds=0.0,
            transformation=transformation,
        )
        if not options.dry_run:
            _record_run(session, report, file, started_at, options, layer)
    except BaseException:
        savepoint.rollback()
        raise
    if options.dry_run:
        savepoint.rollback()
        session.expire_all()
    else:
        savepoint.commit()
    report.seconds = time.perf_counter() - started
    return report


def _lookups(session: Session, route_codes: np.ndarray | None) -> Lookups:
    operators = {
        code.upper(): id_ for id_, code in session.execute(select(Operator.id, Operator.code))
    }
    routes: dict[str, int] = {}
    if route_codes is not None:
        # Codes the database cannot hold (NUL ...) match no route; validation names them.
        codes = sorted({c for c in route_codes if c is not None and storable(c)})
        if codes:
            # One array parameter, not one bound parameter per code (PostgreSQL allows 65,535).
            found = session.execute(
                select(CableRoute.code, CableRoute.operator_id).where(
                    CableRoute.code == any_(cast(codes, ARRAY(Text)))
                )
            )
            routes = {code: operator_id for code, operator_id in found}
    today = session.execute(text("SELECT current_date")).scalar_one()
    return Lookups(operators=operators, routes=routes, today=today)


def _effective_date(options: ImportOptions, lookups: Lookups) -> date:
    chosen = options.effective_date or lookups.today
    if chosen > lookups.today:
        raise ImportOptionsError(
            f"effective date {chosen} is in the future (today is {lookups.today}); states are "
            "recorded when they happen"
        )
    if chosen < EARLIEST_STATE_DATE:
        raise ImportOptionsError(f"effective date {chosen} is before {EARLIEST_STATE_DATE}")
    return chosen


def _check_operator_option(operator: str | None, lookups: Lookups) -> None:
    if operator is not None and operator.strip().upper() not in lookups.operators:
        known = ", ".join(sorted(lookups.operators)) or "none registered yet"
        raise ImportOptionsError(
            f"unknown operator {operator!r} (--operator); known operators: {known}"
        )


def _failure_message(layer: SourceLayer, problems: list[RowProblem], bad_rows: int) -> str:
    first = problems[0]
    return (
        f"{layer.file_name}: {bad_rows} of {len(layer)} rows have problems "
        f"({len(problems)} in all; first: {layer.row_unit} {first.row}, {first.field}: "
        f"{first.reason}); nothing was written"
    )


def _record_run(
    session: Session,
    report: ImportReport,
    file: Path,
    started_at: datetime,
    options: ImportOptions,
    layer: SourceLayer,
) -> None:
    session.add(
        ImportRun(
            source=report.source,
            file_name=report.file_name,
            file_sha256=_sha256(file),
            source_crs=report.source_crs,
            started_at=started_at,
            rows_read=report.rows_read,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=report.skipped_rows,
            options={
                "crs": options.crs,
                "force_crs": options.force_crs,
                "operator": options.operator,
                "mapping": str(options.mapping) if options.mapping else None,
                "layer": layer.layer,
                "format": layer.format,
                "skip_invalid": options.skip_invalid,
                "effective_date": options.effective_date.isoformat()
                if options.effective_date
                else None,
                "transformation": report.transformation,
                "row_numbers": layer.row_unit,
            },
        )
    )
    session.flush()


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Key of the transaction-level advisory lock that imports take (any fixed bigint).
IMPORT_LOCK_KEY = 0x7465_6C65_636F_6D01


def _one_import_at_a_time(session: Session) -> None:
    """Wait for any other import's transaction to end before reading the network. Two imports
    at once could deadlock (a bulk load drops foreign keys, which locks ``operators``, while
    the other has read it) or both COPY a new source and fail on its unique key; one after the
    other, the second sees the first's rows and merges. Released at commit or rollback."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
