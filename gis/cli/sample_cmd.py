"""`telecom-gis sample generate|load`: (being written) the synthetic demo province."""

from __future__ import annotations

import typer

app = typer.Typer(help="Generate and load the synthetic demo province.", no_args_is_help=True)
