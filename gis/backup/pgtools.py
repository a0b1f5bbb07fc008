"""Engines, libpq connection strings, and running ``pg_dump``/``pg_restore`` (password
through ``PGPASSWORD``, progress from their ``--verbose`` lines)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from gis.backup.manifest import ToolError
from gis.db import normalise_url
from gis.errors import DatabaseUnavailableError
from gis.progress import ProgressFn


def nullpool_engine(url: str | URL) -> Engine:
    """An engine that keeps no connection open once a block ends (databases get dropped)."""
    if isinstance(url, URL):
        url = url.render_as_string(hide_password=False)
    return create_engine(normalise_url(url), poolclass=NullPool)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier (double-quoted)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as an SQL string literal (standard_conforming_strings)."""
    return "'" + value.replace("'", "''") + "'"


def conninfo(url: URL) -> str:
    """libpq connection string for ``url`` without its password (that goes in PGPASSWORD)."""
    params: dict[str, str] = {"dbname": url.database or ""}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    for key, value in url.query.items():
        if key != "password":
            params[key] = value if isinstance(value, str) else value[-1]

    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{key}={quoted(value)}" for key, value in params.items())


def tool_env(url: URL) -> dict[str, str]:
    """The environment of a client tool: ours, with ``url``'s password as PGPASSWORD (the
    connection string given on the command line has none; it wins over other PG* variables).
    """
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def find_tool(name: str, pg_bin: Path | None = None) -> Path:
    """``pg_dump`` or ``pg_restore``: in ``pg_bin`` when given, else the newest PostgreSQL
    installed under /usr/lib/postgresql, else the one on PATH. :class:`ToolError` if none."""
    if pg_bin is not None:
        candidate = Path(pg_bin) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise ToolError(f"{name} is not in {pg_bin}")
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}") if p.parts[-3].isdigit()),
        key=lambda p: int(p.parts[-3]), reverse=True)
    if versions:
        return versions[0]
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} is not installed: install the PostgreSQL client of the "
                        "server's version (e.g. `apt-get install postgresql-client-15`)")
    return Path(found)


def tool_major(tool: Path) -> int:
    """The major version ``tool --version`` prints (15 for "pg_dump (PostgreSQL) 15.18")."""
    try:
        out = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolError(f"{tool} does not run: {exc}") from exc
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if match is None:
        raise ToolError(f"{tool} --version printed no version: {out.strip()!r}")
    return int(match.group(1))


def run_tool(command: list[str], url: URL, progress: ProgressFn, stage: str,
              total: int | None, marker: str) -> None:
    """Run a PostgreSQL client tool with ``--verbose``; each stderr line containing ``marker``
    advances ``stage``. :class:`ToolError` with its error lines when it fails."""
    name = Path(command[0]).name
    progress(stage, 0, total)
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, errors="replace",
                                   env=tool_env(url))
    except OSError as exc:
        raise ToolError(f"{name} could not start: {exc}") from exc
    done, errors = 0, []
    assert process.stderr is not None
    with process:
        for line in process.stderr:
            if marker in line:
                done += 1
                progress(stage, done if total is None else min(done, total), total)
            elif not line.startswith(f"{name}: ") or "error:" in line or "warning:" in line:
                errors.append(line.rstrip()[:300])  # errors, and their "Command was: ..."
    if process.returncode != 0:
        shown = [e for e in errors if e.strip()][:6]
        raise ToolError(f"{name} failed (exit {process.returncode}): "
                        + (" | ".join(shown) if shown else "no message"))
    progress(stage, total if total is not None else done, total if total is not None else done)


def unavailable_error(url: URL, exc: Exception) -> DatabaseUnavailableError:
    """The error telling the user the database at ``url`` cannot be used, and why."""
    first = str(getattr(exc, "orig", exc)).strip().splitlines()
    return DatabaseUnavailableError(
        f"cannot use the database at {_shown(url)}: {first[0] if first else exc}")
