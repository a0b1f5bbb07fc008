"""Progress reporting shared by long-running jobs (importers, loaders) and their front ends.

A job calls a :data:`ProgressFn` with ``(stage, done, total)``; the CLI draws bars from it, a web
job could store it. Kept outside ``gis.cli`` so library code never imports the command line.
"""

from __future__ import annotations

from collections.abc import Callable

#: A progress callback: (stage description, units done, units in total or None when unknown).
ProgressFn = Callable[[str, int, int | None], None]


def no_progress(stage: str, done: int, total: int | None) -> None:
    """A :data:`ProgressFn` that ignores every report."""
