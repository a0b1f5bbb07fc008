"""What every CLI command shares: the console, the engine, clean failures, progress bars."""

from __future__ import annotations

import getpass
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gis import db
from gis.db import check_connection, make_engine
from gis.errors import GisError, ValidationFailed
from gis.progress import ProgressFn
from gis.settings import get_settings

console = Console()
err_console = Console(stderr=True)



def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as an error (no traceback) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def actor() -> str:
    """Name recorded as the author of CLI changes (``cli:<os user>``)."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"


def get_engine() -> Engine:
    """Return an engine on the configured database, or exit with a clear message."""
    from gis.errors import DatabaseUnavailableError

    engine = make_engine(get_settings().database_url)
    try:
        check_connection(engine)
    except DatabaseUnavailableError as exc:
        fail(str(exc), code=3)
    return engine


@contextmanager
def cli_transaction(options: Mapping[str, str], actor: str | None = None) -> Iterator[Session]:
    """One transaction on the configured database (audited as ``actor``), committed when the
    block ends. A domain error ends the command with exit code 2 (invalid fields named by their
    option, from ``options``: field name -> option), a database error with 1; either way
    nothing is written."""
    engine = get_engine()
    try:
        with db.transaction(engine, actor=actor) as session:
            yield session
    except ValidationFailed as exc:
        fields = sorted({options.get(str(getattr(p, "field", "")).split("[")[0],
                                     str(getattr(p, "field", ""))) for p in exc.problems})
        fail(escape(f"{exc} ({', '.join(fields)}); nothing was written"), code=2)
    except GisError as exc:
        fail(escape(f"{exc}; nothing was written"), code=2)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        fail(escape(f"the database refused: {first[0] if first else exc}; nothing was written"))
    finally:
        engine.dispose()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressFn]:
    """Yield a ProgressFn drawing one rich bar per stage (silent when ``enabled`` is False)."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
