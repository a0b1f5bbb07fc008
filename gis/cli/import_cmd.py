"""`telecom-gis import FILE`: load an operator's cable file (segments and routes).

Exit codes: 0 done (or dry run done); 2 the file, its CRS, the mapping, an option or some rows
are wrong (nothing was written); 1 the database refused the import; 3 no database.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from gis.cli.common import actor, console, err_console, fail, get_engine, progress_bar
from gis.db import transaction
from gis.errors import GisError, ValidationFailed
from gis.importers.options import SUPPORTED_FORMATS, ImportOptions

if TYPE_CHECKING:
    from gis.importers import ImportReport, RowProblem

#: Problems shown on screen; the rest go to --report.
SHOWN_PROBLEMS = 30


def register(app: typer.Typer) -> None:
    """Add the ``import`` command to ``app``."""
    app.command("import")(import_command)


_FILE_HELP = f"File to import ({', '.join(sorted(SUPPORTED_FORMATS))})."
_CRS_HELP = (
    "CRS of the file as an EPSG code, e.g. EPSG:9209 (VN-2000 / TM-3 105-30, Hưng Yên and "
    "Thái Bình). Required when the file does not say."
)
_SOURCE_HELP = (
    "Dataset name; re-imports of the same source update in place. Default: the file name "
    "without extension."
)


def import_command(
    file: Annotated[Path, typer.Argument(help=_FILE_HELP)],
    crs: Annotated[str | None, typer.Option("--crs", help=_CRS_HELP)] = None,
    operator: Annotated[
        str | None,
        typer.Option("--operator", help="Operator code for rows without one, e.g. VNPT."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="TOML file mapping the file's columns and values to ours."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help=_SOURCE_HELP)] = None,
    effective_date: Annotated[
        datetime | None,
        typer.Option(
            "--effective-date",
            formats=["%Y-%m-%d"],
            help="Date of the states for rows without a date (YYYY-MM-DD). Default: today.",
        ),
    ] = None,
    layer: Annotated[
        str | None, typer.Option("--layer", help="Layer to read when there are several.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good rows and list the bad ones.")
    ] = False,
    force_crs: Annotated[
        bool, typer.Option("--force-crs", help="Use --crs even when the file names another CRS.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write every problem found to this CSV file.")
    ] = None,
    show_progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Draw progress bars.")
    ] = True,
) -> None:
    """Import cable segments from FILE: validate every row, then write all of them or none."""
    options = ImportOptions(
        crs=crs,
        force_crs=force_crs,
        operator=operator,
        mapping=mapping,
        source=source,
        effective_date=effective_date.date() if effective_date else None,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        layer=layer,
    )
    from gis.importers.pipeline import import_segments  # the heavy part, only when importing

    engine = get_engine()
    try:
        with (
            transaction(engine, actor=actor()) as session,
            progress_bar(show_progress) as progress,
        ):
            result = import_segments(session, file, options, progress)
    except ValidationFailed as exc:
        _print_problems(exc.problems)
        if report:
            _write_problems(report, exc.problems)
        rows = len({p.row for p in exc.problems})
        fail(escape(f"{rows} rows of {file.name} have problems; nothing was written"), code=2)
    except GisError as exc:
        fail(escape(str(exc)), code=2)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        reason = escape(first[0] if first else str(exc))
        fail(f"the database refused the import: {reason}; nothing was written")
    finally:
        engine.dispose()
    if report and result.skipped:
        _write_problems(report, result.skipped)
    _print_summary(result)


def _print_summary(result: ImportReport) -> None:
    console.print(
        Text(
            f"{result.file_name} -> source {result.source!r}, coordinates {result.source_crs} "
            f"({result.transformation})"
        )
    )
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("rows read", result.rows_read),
        ("inserted", result.inserted),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("skipped rows", result.skipped_rows),
    ):
        table.add_row(label, f"{value:,}")
    table.add_row("segments/s", f"{result.segments_per_second:,.0f}")
    console.print(table)
    if result.skipped:
        _print_problems(result.skipped)
    if result.dry_run:
        console.print("dry run: nothing was written")


def _print_problems(problems: list[RowProblem]) -> None:
    table = Table(title="Problems", title_justify="left")
    for name in ("row", "source_fid", "field", "reason"):
        table.add_column(name, overflow="fold")
    for problem in problems[:SHOWN_PROBLEMS]:
        table.add_row(
            str(problem.row), Text(problem.source_fid or ""), problem.field, Text(problem.reason)
        )
    err_console.print(table)
    if len(problems) > SHOWN_PROBLEMS:
        err_console.print(f"... and {len(problems) - SHOWN_PROBLEMS} more (use --report FILE)")


def _write_problems(path: Path, problems: list[RowProblem]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "source_fid", "field", "reason"])
        writer.writerows((p.row, p.source_fid or "", p.field, p.reason) for p in problems)
    err_console.print(f"problems written to {path}")
