"""``write_backup``: the database in one snapshot (manifest facts and ``pg_dump``), then the
photos, into a hidden temporary directory beside the target, renamed into place at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from gis.backup.archive import fsync_dir, sha256_file, write_archive
from gis.backup.facts import database_facts, photo_files, photo_keys, table_facts
from gis.backup.manifest import DUMP, FORMAT_VERSION, BackupError, Manifest, ToolError
from gis.backup.pgtools import (
    conninfo,
    find_tool,
    nullpool_engine,
    run_tool,
    tool_major,
    unavailable_error,
)
from gis.db import normalise_url
from gis.progress import ProgressFn, no_progress


@contextmanager
def _snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A read-only repeatable-read transaction and the id of its exported snapshot."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                      postgresql_readonly=True)
        with conn.begin():
            yield conn, conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()


def write_backup(database_url: str, photo_dir: Path, target: Path,
                 progress: ProgressFn = no_progress, pg_bin: Path | None = None,
                 overwrite: bool = False) -> Manifest:
    """Write the archive ``target`` of the database at ``database_url`` and the photos under
    ``photo_dir``; return its manifest. The manifest's row counts and the dump come from one
    snapshot; the photo directory is read after it, so every photo the dump's ``photos`` rows
    name is included (those already missing are listed as ``photos_missing``).

    Raises :class:`BackupError` (bad target, photo directory), :class:`ToolError` (pg_dump),
    :class:`DatabaseUnavailableError`; ``target`` is then left as it was.
    """
    target = Path(target)
    if target.exists() and (target.is_dir() or not overwrite):
        raise BackupError(f"{target} already exists; choose another name"
                          + ("" if target.is_dir() else " (or --force to replace it)"))
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    url = make_url(normalise_url(database_url))
    pg_dump = find_tool("pg_dump", pg_bin)
    engine = nullpool_engine(url)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp") as work:
            dump = Path(work) / DUMP
            try:
                with _snapshot(engine) as (conn, snapshot):
                    facts = database_facts(conn)
                    server_major = int(conn.execute(text(
                        "SELECT current_setting('server_version_num')::int / 10000")).scalar_one())
                    if tool_major(pg_dump) < server_major:
                        raise ToolError(f"{pg_dump} is older than the PostgreSQL {server_major} "
                                        f"server; install postgresql-client-{server_major}")
                    tables = table_facts(conn, progress)
                    keys = photo_keys(conn)
                    command = [str(pg_dump), "--format=custom", "--verbose", "--no-password",
                               f"--snapshot={snapshot}", f"--file={dump}",
                               f"--dbname={conninfo(url)}"]
                    run_tool(command, url, progress, "dumping the database", len(tables),
                             "dumping contents of table")
            except (DBAPIError, SQLAlchemyError) as exc:
                raise unavailable_error(url, exc) from exc
            created_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            files = photo_files(photo_dir)
            present = set(files)
            manifest = Manifest(
                format_version=FORMAT_VERSION, created_at=created_at, tables=tables,
                dump=sha256_file(dump), photos={},
                photos_missing=[k for k in keys if k not in present], **facts)
            part = Path(work) / "archive.part"
            photos = write_archive(part, dump, photo_dir, files, manifest, progress)
            manifest = Manifest(**{**manifest.__dict__, "photos": photos})
            os.replace(part, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc}") from exc
    finally:
        engine.dispose()
    return manifest
