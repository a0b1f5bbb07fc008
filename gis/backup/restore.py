"""``restore_backup``: check the archive and the target, ``pg_restore`` in one transaction,
the database's settings, the photos, then every table and photo against the manifest."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from gis.backup.archive import check_archive, copy_member, sha256_file
from gis.backup.facts import photo_keys, table_facts, table_name
from gis.backup.manifest import DUMP, PHOTOS, ArchiveError, Manifest, ToolError
from gis.backup.pgtools import (
    conninfo,
    find_tool,
    nullpool_engine,
    quote_ident,
    quote_literal,
    run_tool,
    tool_env,
)
from gis.backup.target import (
    DEFAULT_TEMPLATE,
    Target,
    check_photo_dir,
    check_revision_known,
    check_target,
    create_database,
    drop_database,
)
from gis.db import normalise_url
from gis.progress import ProgressFn, no_progress

#: Database settings whose value is a list of names (restored element by element).
LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries",
                 "local_preload_libraries", "shared_preload_libraries"}


@dataclass(frozen=True)
class TableCheck:
    """A table after the restore, against the manifest (``rows`` None: the table is absent)."""

    name: str
    expected_rows: int
    rows: int | None
    checksum_matches: bool

    @property
    def ok(self) -> bool:
        """Same rows, same content."""
        return self.rows == self.expected_rows and self.checksum_matches


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did and found: per table, per photo. ``photos_missing`` are files the
    restored ``photos`` rows name that are not in the photo directory (fine when the backup
    already lacked them); ``settings_not_restored`` the ``ALTER DATABASE`` statements the
    role could not run."""

    manifest: Manifest
    database: str
    created_database: bool
    tables: list[TableCheck]
    unexpected_tables: list[str]
    photos_written: int
    photos_present: int
    photos_bad: list[str]
    photos_missing: list[str]
    schema_revision: str | None
    settings_not_restored: list[str]

    @property
    def ok(self) -> bool:
        """Every table and photo matches the manifest."""
        return (all(t.ok for t in self.tables) and not self.unexpected_tables
                and not self.photos_bad and not self.settings_not_restored
                and set(self.photos_missing) <= set(self.manifest.photos_missing)
                and self.schema_revision == self.manifest.schema_revision)


def restore_backup(database_url: str, photo_dir: Path, archive: Path,
                   progress: ProgressFn = no_progress, template: str = DEFAULT_TEMPLATE,
                   pg_bin: Path | None = None) -> RestoreReport:
    """Restore ``archive`` into the database at ``database_url`` (which must hold no tables;
    it is created from ``template`` when missing and the role may) and its photos into
    ``photo_dir``, then check both against the manifest.

    Nothing is written before the archive, the target and the photo directory are checked:
    :class:`ArchiveError`, :class:`TargetError`, :class:`ToolError` or
    :class:`DatabaseUnavailableError` then leave everything as it was. A failing
    ``pg_restore`` changes nothing either (one transaction).
    """
    url = make_url(normalise_url(database_url))
    photo_dir = Path(photo_dir)
    pg_restore = find_tool("pg_restore", pg_bin)
    with tempfile.TemporaryDirectory(prefix="telecom-gis-restore-") as staging:
        checked = check_archive(archive, Path(staging), progress)
        manifest = checked.manifest
        toc = _archive_toc(pg_restore, checked.dump, url)
        check_revision_known(url, manifest)
        target = check_target(url, manifest, template)
        present = check_photo_dir(photo_dir, manifest)
        if not target.exists:
            create_database(url, target.template)
        try:
            listing = Path(staging) / "restore.list"
            entries = list(_restore_list(toc, manifest, target))
            listing.write_text("\n".join(entries) + "\n")
            data_entries = sum(1 for line in entries if " TABLE DATA " in line)
            command = [str(pg_restore), "--no-owner", "--no-tablespaces", "--single-transaction",
                       "--verbose", "--no-password", f"--use-list={listing}",
                       f"--dbname={conninfo(url)}", str(checked.dump)]
            run_tool(command, url, progress, "restoring the database", data_entries,
                     "processing data for table")
        except BaseException:
            if not target.exists:
                drop_database(url)
            raise
        not_restored = _apply_settings(url, manifest.settings)
    written = _write_photos(archive, photo_dir, manifest, present, progress)
    return _verify(url, photo_dir, manifest, created=not target.exists, written=written,
                   present=len(present), not_restored=not_restored, progress=progress)


def _archive_toc(pg_restore: Path, dump: Path, url: URL) -> list[str]:
    """The dump's table of contents (``pg_restore --list``), which also proves it readable."""
    try:
        result = subprocess.run([str(pg_restore), "--list", str(dump)], capture_output=True,
                                text=True, errors="replace", env=tool_env(url), timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolError(f"{pg_restore} could not read the dump: {exc}") from exc
    if result.returncode != 0:
        first = result.stderr.strip().splitlines()
        raise ArchiveError(f"{DUMP} cannot be read by {pg_restore.name}: "
                           f"{first[0] if first else 'no message'}")
    return [line for line in result.stdout.splitlines() if line and not line.startswith(";")]


def _restore_list(toc: list[str], manifest: Manifest, target: Target) -> Iterator[str]:
    """The dump's entries to restore: not the extensions the target already has (nor their
    comments, which only their owner may set), nor the rows of extension tables."""
    keep_extensions = target.extensions_to_create
    for line in toc:
        extension = (re.match(r"^\d+; \d+ \d+ EXTENSION - (\S+)", line)
                     or re.match(r"^\d+; \d+ \d+ COMMENT - EXTENSION (\S+)", line))
        if extension and extension.group(1) not in keep_extensions:
            continue
        data = re.match(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", line)
        if data and table_name(data.group(1), data.group(2)) not in manifest.tables:
            continue
        yield line


def _setting_statement(database: str, entry: str) -> str:
    """``ALTER DATABASE ... SET`` for one ``name=value`` entry of ``pg_db_role_setting``."""
    name, _, value = entry.partition("=")
    target = ".".join(quote_ident(part) for part in name.split("."))
    if name.lower() in LIST_SETTINGS:
        items = [item.strip() for item in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', value)]
        items = [item[1:-1].replace('""', '"') if item.startswith('"') else item
                 for item in items if item]
        values = ", ".join(quote_literal(item) for item in items) or "''"
    else:
        values = quote_literal(value)
    return f"ALTER DATABASE {quote_ident(database)} SET {target} TO {values}"


def _apply_settings(url: URL, settings: list[str]) -> list[str]:
    """Set the manifest's database settings (e.g. ``TimeZone``) on the target; return the
    statements the role could not run (``ALTER DATABASE`` needs the database's owner)."""
    failed = []
    engine = nullpool_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for entry in settings:
                statement = _setting_statement(url.database or "", entry)
                try:
                    conn.execute(text(statement))
                except DBAPIError:
                    failed.append(statement)
    finally:
        engine.dispose()
    return failed


def _write_photos(archive: Path, photo_dir: Path, manifest: Manifest, present: set[str],
                  progress: ProgressFn) -> int:
    """Write the archive's photos not already in ``photo_dir`` (temp file + rename each)."""
    stage = "restoring photos"
    wanted = len(manifest.photos) - len(present)
    progress(stage, 0, wanted)
    written = 0
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            if not member.name.startswith(PHOTOS):
                continue
            name = member.name[len(PHOTOS):]
            if name in present:
                continue
            path = photo_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".restore-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    facts = copy_member(tar, member, out)
                    out.flush()
                    os.fsync(out.fileno())
                if facts != manifest.photos.get(name):
                    raise ArchiveError(f"{member.name} changed since the archive was checked")
                os.chmod(temp, 0o644)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            written += 1
            progress(stage, written, wanted)
    return written


def _verify(url: URL, photo_dir: Path, manifest: Manifest, *, created: bool, written: int,
            present: int, not_restored: list[str], progress: ProgressFn) -> RestoreReport:
    """Count and checksum every table, hash every photo, against the manifest."""
    from alembic.runtime.migration import MigrationContext

    engine = nullpool_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            facts = table_facts(conn, progress, "checking tables")
            revision = MigrationContext.configure(conn).get_current_revision()
            keys = photo_keys(conn)
    finally:
        engine.dispose()
    tables = [TableCheck(name, expected.rows, facts[name].rows if name in facts else None,
                         name in facts and facts[name].checksum == expected.checksum)
              for name, expected in manifest.tables.items()]
    stage = "checking photos"
    progress(stage, 0, len(manifest.photos))
    bad = []
    for done, (name, expected) in enumerate(manifest.photos.items(), start=1):
        path = photo_dir / name
        if not path.is_file() or sha256_file(path) != expected:
            bad.append(name)
        progress(stage, done, len(manifest.photos))
    missing = [k for k in keys if not (photo_dir / k).is_file()]
    return RestoreReport(
        manifest=manifest, database=url.database or "", created_database=created,
        tables=tables, unexpected_tables=sorted(set(facts) - set(manifest.tables)),
        photos_written=written, photos_present=present, photos_bad=bad,
        photos_missing=missing, schema_revision=revision, settings_not_restored=not_restored)


def summary_rows(report: RestoreReport) -> Iterable[tuple[str, str, str, str]]:
    """(table, rows in the backup, rows restored, check) for a summary table."""
    for check in report.tables:
        yield (check.name, f"{check.expected_rows:,}",
               "absent" if check.rows is None else f"{check.rows:,}",
               "ok" if check.ok else ("content differs" if check.rows == check.expected_rows
                                      else "MISMATCH"))
    for name in report.unexpected_tables:
        yield (name, "-", "?", "not in the backup")
