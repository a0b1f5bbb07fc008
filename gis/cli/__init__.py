"""The ``telecom-gis`` command line: ``db``, ``import``, ``sample``, ``checklist``, ``users``,
``map``, ``export``, ``serve``."""

from __future__ import annotations

import typer

from gis.cli import (
    checklist_cmd,
    db_cmd,
    export_cmd,
    import_cmd,
    map_cmd,
    sample_cmd,
    serve_cmd,
    users_cmd,
)

app = typer.Typer(
    name="telecom-gis",
    help="GIS for the provincial regulator of telecom cable (Sở KH&CN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(sample_cmd.app, name="sample")
app.add_typer(checklist_cmd.app, name="checklist")
app.add_typer(users_cmd.app, name="users")
app.add_typer(map_cmd.app, name="map")
import_cmd.register(app)
export_cmd.register(app)
serve_cmd.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
