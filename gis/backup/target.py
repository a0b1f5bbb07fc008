"""Checks of a restore's target before anything is written (database empty or creatable,
roles, extensions, schema revision, photo directory), and creating or dropping the database."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from gis.backup.archive import sha256_file
from gis.backup.facts import user_tables
from gis.backup.manifest import Manifest, TargetError
from gis.backup.pgtools import nullpool_engine, quote_ident, unavailable_error

#: Template a restore creates a missing database from (``scripts/setup-postgis.sh`` makes it,
#: with PostGIS installed by the superuser); the server's default when it does not exist.
DEFAULT_TEMPLATE = "telecom_gis_template"


@dataclass(frozen=True)
class Target:
    url: URL
    exists: bool
    template: str | None
    extensions_to_create: frozenset[str]


def check_revision_known(url: URL, manifest: Manifest) -> None:
    """The archive's schema revision must be one this code's migrations know."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from gis.migrate import alembic_config

    if manifest.schema_revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config(nullpool_engine(url)))
    try:
        known = script.get_revision(manifest.schema_revision) is not None
    except CommandError:
        known = False
    if not known:
        raise TargetError(f"the archive's schema revision {manifest.schema_revision} is unknown "
                          "to this telecom-gis (the backup was made by a newer version?); "
                          "restore it with that version")


def _connect_error_is_missing_database(exc: Exception) -> bool:
    return re.search(r'database ".*" does not exist', str(getattr(exc, "orig", exc))) is not None


def check_target(url: URL, manifest: Manifest, template: str) -> Target:
    """The target database is reachable (or creatable), holds no table, has (or may create)
    the manifest's extensions, knows its roles; the user is a member of the roles it was."""
    engine = nullpool_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(user_tables(conn))
            if tables:
                raise TargetError(
                    f"the database {url.database} already holds {len(tables):,} table(s) "
                    f"({', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}); a restore "
                    "goes only into an empty database: point TELECOM_GIS_DATABASE_URL at a new "
                    "database name (it is created) or drop this one first")
            _check_roles(conn, manifest)
            present = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
            missing = set(manifest.extensions) - present
            _check_extensions_creatable(conn, url, missing)
            return Target(url, True, None, frozenset(missing))
    except TargetError:
        raise
    except (DBAPIError, SQLAlchemyError) as exc:
        if not _connect_error_is_missing_database(exc):
            raise unavailable_error(url, exc) from exc
    finally:
        engine.dispose()
    return _check_creatable(url, manifest, template)


def _maintenance_url(url: URL) -> URL:
    return url.set(database="postgres")


def _check_creatable(url: URL, manifest: Manifest, template: str) -> Target:
    """The target does not exist: the role must be allowed to create it."""
    engine = nullpool_engine(_maintenance_url(url))
    try:
        with engine.connect() as conn:
            can_create = conn.execute(text(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            )).scalar_one()
            if not can_create:
                raise TargetError(
                    f"the database {url.database} does not exist and the role {url.username} "
                    "may not create databases; as a superuser run: CREATE DATABASE "
                    f"{quote_ident(url.database or '')} OWNER {quote_ident(url.username or '')}"
                    f" TEMPLATE {template}; then restore again")
            has_template = conn.execute(text(
                "SELECT 1 FROM pg_database WHERE datname = :t AND (datistemplate OR "
                "pg_has_role(current_user, datdba, 'MEMBER'))"), {"t": template}).first()
            chosen = template if has_template else None
            _check_roles(conn, manifest)
            if chosen is None:
                missing = set(manifest.extensions)
            else:
                with nullpool_engine(url.set(database=chosen)).connect() as tconn:
                    missing = set(manifest.extensions) - set(
                        tconn.execute(text("SELECT extname FROM pg_extension")).scalars())
            _check_extensions_creatable(conn, url, missing, new_database=True,
                                        template=chosen, wanted_template=template)
            return Target(url, False, chosen, frozenset(missing))
    except TargetError:
        raise
    except (DBAPIError, SQLAlchemyError) as exc:
        raise unavailable_error(_maintenance_url(url), exc) from exc
    finally:
        engine.dispose()


def _check_roles(conn: Connection, manifest: Manifest) -> None:
    user = conn.execute(text("SELECT current_user")).scalar_one()
    rows = dict(conn.execute(text(
        "SELECT rolname, pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles "
        "WHERE rolname = ANY(:names)"), {"names": list(manifest.roles)}).all())
    missing = [r for r in manifest.roles if r not in rows]
    if missing:
        commands = " ".join(f"CREATE ROLE {quote_ident(r)} NOLOGIN; GRANT {quote_ident(r)} "
                            f"TO {quote_ident(user)};" for r in missing)
        raise TargetError(f"the roles {', '.join(missing)} that the backup's grants and "
                          f"policies name do not exist; as a superuser run: {commands}")
    unjoined = [r for r, member in manifest.roles.items() if member and not rows[r]]
    if unjoined:
        commands = " ".join(f"GRANT {quote_ident(r)} TO {quote_ident(user)};"
                            for r in unjoined)
        raise TargetError(f"the role {user} is not a member of {', '.join(unjoined)} (the API "
                          f"switches to it for operator users); as a superuser run: {commands}")


def _check_extensions_creatable(conn: Connection, url: URL, missing: set[str], *,
                                new_database: bool = False, template: str | None = None,
                                wanted_template: str = DEFAULT_TEMPLATE) -> None:
    """The extensions ``missing`` from the target (or from the ``template`` a new database is
    made from) are installed on the server and the role may create them."""
    if not missing:
        return
    superuser = conn.execute(text(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one()
    available = dict(conn.execute(text(
        "SELECT name, bool_or(trusted) FROM pg_available_extension_versions "
        "WHERE name = ANY(:names) GROUP BY name"), {"names": sorted(missing)}).all())
    absent = sorted(e for e in missing if e not in available)
    if absent:
        raise TargetError(
            f"the server lacks the extension(s) {', '.join(absent)} the backup uses; install "
            "them (PostGIS on Debian: apt-get install postgresql-15-postgis-3)")
    blocked = sorted(e for e in missing if not (superuser or available[e]))
    if not blocked:
        return
    database = url.database or ""
    installs = " ".join(f"CREATE EXTENSION IF NOT EXISTS {e};" for e in blocked)
    if not new_database:
        where, command = f"the database {database}", f"psql -d {database} -c '{installs}'"
    elif template is not None:
        where, command = f"the template {template}", f"psql -d {template} -c '{installs}'"
    else:
        where = f"there is no template {wanted_template}, and the new database {database}"
        command = (f"createdb -O {url.username} {database} && "
                   f"psql -d {database} -c '{installs}'")
    raise TargetError(
        f"{where} lacks the extension(s) {', '.join(blocked)} and the role {url.username} may "
        f"not create them; as a superuser run: {command} (or `make db` for the local set-up)")


def check_photo_dir(photo_dir: Path, manifest: Manifest) -> set[str]:
    """Photos of the manifest already in ``photo_dir`` with the same bytes; a different file
    where a photo goes is a :class:`TargetError` (photos are never replaced)."""
    if photo_dir.exists() and not photo_dir.is_dir():
        raise TargetError(f"the photo directory {photo_dir} is not a directory")
    if manifest.photos:
        _check_writable(photo_dir)
    present, clashes = set(), []
    for name, facts in manifest.photos.items():
        path = photo_dir / name
        if path.is_symlink() or path.exists():
            if path.is_file() and not path.is_symlink() and sha256_file(path) == facts:
                present.add(name)
            else:
                clashes.append(name)
    if clashes:
        raise TargetError(f"the photo directory {photo_dir} already holds {len(clashes):,} "
                          f"different file(s) where the backup's photos go (first: "
                          f"{clashes[0]}); photos are never replaced: restore into an empty "
                          "TELECOM_GIS_PHOTO_DIR")
    return present


def _check_writable(photo_dir: Path) -> None:
    """The photos can be written under ``photo_dir``: the nearest part of it that exists is a
    directory this process may write into (nothing is made yet: a refused restore leaves no
    trace); a TargetError otherwise, before the database is touched."""
    existing = photo_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise TargetError(f"the photos cannot be written under {photo_dir}: {existing} is "
                          f"{'not writable' if existing.is_dir() else 'not a directory'}; "
                          "set TELECOM_GIS_PHOTO_DIR to a writable directory")


def create_database(url: URL, template: str | None) -> None:
    """CREATE DATABASE ``url``'s database, owned by the role, from ``template`` if given."""
    engine = nullpool_engine(_maintenance_url(url))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(
                f"CREATE DATABASE {quote_ident(url.database or '')}"
                + (f" TEMPLATE {quote_ident(template)}" if template else "")))
    except (DBAPIError, SQLAlchemyError) as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise TargetError(f"cannot create the database {url.database}: "
                          f"{first[0] if first else exc}") from exc
    finally:
        engine.dispose()


def drop_database(url: URL) -> None:
    """Drop ``url``'s database again (only ever one this restore created)."""
    engine = nullpool_engine(_maintenance_url(url))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote_ident(url.database or '')}"))
    finally:
        engine.dispose()
