"""`telecom-gis import FILE`: (being written) load operators' cable files."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``import`` command to ``app``."""
