"""`telecom-gis db upgrade|status|backup|restore`: schema migrations and backups.

``backup FILE`` writes one archive (tar) holding the database (``pg_dump --format=custom``),
every file under the photo directory and a manifest (versions, schema revision, rows and a
checksum of every table, SHA-256 of every file); ``restore FILE`` puts it back into an empty
(or new) database and photo directory and checks every table and photo against the manifest.
See :mod:`gis.backup`.

Exit codes of ``backup`` and ``restore``: 0 done (restore: everything matches the manifest);
2 bad input, nothing written (FILE exists, a damaged or truncated archive, a database that is
not empty, a different photo where one goes, a missing role or extension); 1 pg_dump or
pg_restore failed, or the restored data differs from the manifest; 3 no database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gis import migrate
from gis.cli.common import console, err_console, fail, get_engine, progress_bar
from gis.settings import get_settings

app = typer.Typer(help="Database schema: migrate, inspect, back up and restore.",
                  no_args_is_help=True)

PG_BIN_HELP = ("Directory holding pg_dump and pg_restore (default: the newest "
               "/usr/lib/postgresql/*/bin, else PATH).")


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the Alembic migrations up to REVISION (default: newest)."""
    engine = get_engine()
    before = migrate.current_revision(engine)
    try:
        migrate.upgrade(engine, revision, get_settings().checklist_file)
    except Exception as exc:  # noqa: BLE001 - show the database's reason, not a traceback
        fail(f"migration to {revision} failed, nothing was changed: {exc}".splitlines()[0])
    after = migrate.current_revision(engine)
    if before == after:
        console.print(f"schema already at [bold]{after}[/] (nothing to do)")
    else:
        console.print(f"schema upgraded: {before or 'empty'} -> [bold]{after}[/]")


@app.command()
def status() -> None:
    """Show the database, its PostGIS version, schema revision and row counts."""
    from sqlalchemy import text

    from gis.db import check_connection

    engine = get_engine()
    current = migrate.current_revision(engine)
    head = migrate.head_revision(engine)
    console.print(f"database  {engine.url.render_as_string(hide_password=True)}")
    console.print(f"postgis   {check_connection(engine)}")
    state = "up to date" if current == head else "run `telecom-gis db upgrade`"
    console.print(f"schema    {current or 'empty'} (newest {head}: {state})")
    if current is None:
        raise typer.Exit(0 if current == head else 1)
    tables = ("operators", "admin_units", "cable_routes", "cable_segments", "segment_states",
              "structures", "undergrounding_plans", "import_runs")
    with engine.connect() as conn:
        for table in tables:
            count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            console.print(f"  {table:<22}{count:>10,}")
    if current != head:
        raise typer.Exit(1)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False,
                                         help="Archive to write (e.g. FILE.tar).")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE when it exists.")] = False,
    pg_bin: Annotated[Path | None, typer.Option("--pg-bin", file_okay=False,
                                                help=PG_BIN_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Write the database, every photo and a manifest into one archive FILE (a tar).

    FILE appears only once complete, readable by its owner only (it holds users and token
    hashes)."""
    from gis.backup import write_backup

    settings = get_settings()
    started = time.perf_counter()
    with _failures_named("no backup was written"), progress_bar(not quiet) as progress:
        manifest = write_backup(settings.database_url, settings.photo_dir, file,
                                progress=progress, pg_bin=pg_bin, overwrite=force)
    rows = sum(t.rows for t in manifest.tables.values())
    photo_bytes = sum(p.size for p in manifest.photos.values())
    size_mib = file.stat().st_size / 2**20
    console.print(escape(
        f"wrote {file} ({size_mib:,.1f} MiB) in {time.perf_counter() - started:.1f} s: "
        f"database {manifest.database} at schema {manifest.schema_revision or 'empty'}, "
        f"{len(manifest.tables):,} tables, {rows:,} rows; {len(manifest.photos):,} photo "
        f"files ({photo_bytes / 2**20:,.1f} MiB)"), highlight=False, soft_wrap=True)
    if manifest.photos_missing:
        err_console.print(escape(
            f"warning: {len(manifest.photos_missing):,} photo(s) the database lists are missing "
            f"from {settings.photo_dir} (first: {manifest.photos_missing[0]}); they are listed "
            "in the manifest as photos_missing"), highlight=False, soft_wrap=True)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(dir_okay=False,
                                         help="Archive written by `db backup`.")],
    template: Annotated[str, typer.Option(
        "--template", help="Template a missing database is created from (it holds PostGIS).")]
    = "telecom_gis_template",
    pg_bin: Annotated[Path | None, typer.Option("--pg-bin", file_okay=False,
                                                help=PG_BIN_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Restore archive FILE into the configured database and photo directory, and check it.

    Every table and photo is then checked against the archive's manifest. The database must
    hold no tables; when it does not exist it is created (if the role may).
    Photos already in place with the same bytes are kept; a different file is never replaced.
    Nothing is written until the whole archive, the database and the photo directory are
    checked."""
    from sqlalchemy.engine import make_url

    from gis.backup import restore_backup

    settings = get_settings()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    started = time.perf_counter()
    try:
        with _failures_named("nothing was restored"), progress_bar(not quiet) as progress:
            report = restore_backup(settings.database_url, settings.photo_dir, file,
                                    progress=progress, template=template, pg_bin=pg_bin)
    except OSError as exc:
        fail(escape(f"cannot restore the photos into {settings.photo_dir}: {exc}"))
    _print_restore(report, shown, settings.photo_dir, time.perf_counter() - started)
    if not report.ok:
        fail("the restored data differs from the backup's manifest (see above)")


@contextmanager
def _failures_named(outcome: str) -> Iterator[None]:
    """A backup's or restore's failure as the CLI reports it, ending with ``outcome``: exit 3
    no database, 1 pg_dump/pg_restore failed, 2 bad input (a BackupError)."""
    from gis.backup import BackupError, ToolError
    from gis.errors import DatabaseUnavailableError

    try:
        yield
    except DatabaseUnavailableError as exc:
        fail(escape(f"{exc}; {outcome}"), code=3)
    except ToolError as exc:
        fail(escape(f"{exc}; {outcome}"))
    except BackupError as exc:
        fail(escape(f"{exc}; {outcome}"), code=2)


def _print_restore(report, shown: str, photo_dir: Path, seconds: float) -> None:
    """The summary of a restore: one line per table, then photos, settings and schema."""
    from gis.backup import summary_rows
    from gis.db import make_engine

    manifest = report.manifest
    table = Table(title=f"restored {manifest.created_at} backup of {manifest.database}")
    for column in ("table", "rows in backup", "rows restored", "check"):
        table.add_column(column, justify="right" if column.startswith("rows") else "left")
    for name, expected, restored, check in summary_rows(report):
        table.add_row(name, expected, restored,
                      check if check == "ok" else f"[bold red]{escape(check)}[/]")
    console.print(table)
    created = " (created)" if report.created_database else ""
    console.print(escape(f"database  {shown}{created}"), highlight=False, soft_wrap=True)
    bad = f", [bold red]{len(report.photos_bad):,} differ[/]" if report.photos_bad else ""
    console.print(f"photos    {escape(str(photo_dir))}: {report.photos_written:,} written, "
                  f"{report.photos_present:,} already there{bad}", highlight=False,
                  soft_wrap=True)
    if report.photos_missing:
        console.print(escape(f"          {len(report.photos_missing):,} photo(s) the database "
                             f"lists have no file (first: {report.photos_missing[0]})"),
                      highlight=False, soft_wrap=True)
    for statement in report.settings_not_restored:
        err_console.print(escape(f"warning: the database's setting was not restored; as its "
                                 f"owner or a superuser run: {statement};"), highlight=False,
                          soft_wrap=True)
    head = migrate.head_revision(make_engine(get_settings().database_url))
    state = "up to date" if report.schema_revision == head else "run `telecom-gis db upgrade`"
    console.print(f"schema    {report.schema_revision or 'empty'} (newest {head}: {state})")
    console.print(f"checked   {len(report.tables):,} tables and "
                  f"{len(manifest.photos):,} photos in {seconds:.1f} s: "
                  + ("[bold green]all match the manifest[/]" if report.ok
                     else "[bold red]differences found[/]"))
