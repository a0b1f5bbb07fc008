"""`telecom-gis db upgrade|status`: schema migrations."""

from __future__ import annotations

import typer

from gis import migrate
from gis.cli.common import console, fail, get_engine
from gis.settings import get_settings

app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)


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
