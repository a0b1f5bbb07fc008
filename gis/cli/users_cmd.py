"""`telecom-gis users ...` (being written)."""

from __future__ import annotations

import typer

app = typer.Typer(help="users commands.", no_args_is_help=True)


@app.command("help")
def _help() -> None:
    """Placeholder."""
