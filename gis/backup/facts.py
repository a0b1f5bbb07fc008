"""What a database holds, as a backup records it and a restore checks it: every user table's
rows and checksum, versions, extensions, database settings, roles named by grants and
policies; and the files of the photo directory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from gis.backup.manifest import BackupError, TableFacts
from gis.backup.pgtools import quote_ident
from gis.progress import ProgressFn, no_progress

#: Temporary files the photo store itself writes (never backed up).
PHOTO_TEMP = re.compile(r"^\.upload-.*\.part$")


#: Session settings under which rows are rendered as text for the table checksums, so that a
#: backup and a restore on servers configured differently render them alike.
CHECKSUM_SETTINGS = {"TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres",
                     "extra_float_digits": "1", "bytea_output": "hex"}


#: Every ordinary table of the user's schemas, with its stored (not generated) columns.
TABLES_SQL = """
SELECT n.nspname, c.relname,
       array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '')
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                     AND d.objid = c.oid AND d.deptype = 'e')
 GROUP BY n.nspname, c.relname
 ORDER BY n.nspname, c.relname
"""


#: Roles (other than the current user and built-in ones) that grants and policies name, and
#: whether the current user is a member of each (the API switches to ``telecom_gis_operator``).
ROLES_SQL = """
WITH user_schema AS (
  SELECT oid FROM pg_namespace
   WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'
), named AS (
  SELECT (aclexplode(c.relacl)).grantee AS oid FROM pg_class c
   WHERE c.relacl IS NOT NULL AND c.relnamespace IN (SELECT oid FROM user_schema)
     AND NOT EXISTS (
     SELECT 1 FROM pg_depend d WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass
        AND d.objid = c.oid)
  UNION SELECT (aclexplode(a.attacl)).grantee FROM pg_attribute a
   JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace IN (SELECT oid FROM user_schema)
   WHERE a.attacl IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM pg_depend d WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass
        AND d.objid = a.attrelid)
  UNION SELECT (aclexplode(p.proacl)).grantee FROM pg_proc p
   WHERE p.proacl IS NOT NULL AND p.pronamespace IN (SELECT oid FROM user_schema)
     AND NOT EXISTS (
     SELECT 1 FROM pg_depend d WHERE d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
        AND d.objid = p.oid)
  UNION SELECT (aclexplode(n.nspacl)).grantee FROM pg_namespace n
   WHERE n.nspacl IS NOT NULL AND n.oid IN (SELECT oid FROM user_schema)
  UNION SELECT unnest(p.polroles) FROM pg_policy p
)
SELECT r.rolname, pg_has_role(current_user, r.oid, 'MEMBER')
  FROM named JOIN pg_roles r ON r.oid = named.oid
 WHERE r.rolname <> current_user AND r.rolname NOT LIKE 'pg\\_%'
 ORDER BY r.rolname
"""


#: Settings of the current database itself (``ALTER DATABASE ... SET``), not in a dump.
SETTINGS_SQL = """
SELECT unnest(s.setconfig) FROM pg_db_role_setting s
  JOIN pg_database d ON d.oid = s.setdatabase
 WHERE d.datname = current_database() AND s.setrole = 0
"""


def _checksum_settings(conn: Connection) -> None:
    for name, value in CHECKSUM_SETTINGS.items():
        conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})


def table_name(schema: str, table: str) -> str:
    """How the manifest names a table: bare in ``public``, schema-qualified elsewhere."""
    return table if schema == "public" else f"{schema}.{table}"


def user_tables(conn: Connection) -> dict[str, tuple[str, str, list[str]]]:
    """Tables of the user's schemas (not extensions'): name -> (schema, table, stored columns);
    names outside ``public`` are schema-qualified."""
    return {table_name(s, t): (s, t, list(cols or [])) for s, t, cols in conn.execute(
        text(TABLES_SQL))}


def table_facts(conn: Connection, progress: ProgressFn = no_progress,
                stage: str = "counting rows") -> dict[str, TableFacts]:
    """Rows and checksum of every user table, in the connection's transaction (set-up for
    the checksums is ``SET LOCAL``: call inside a transaction)."""
    _checksum_settings(conn)
    tables = user_tables(conn)
    facts: dict[str, TableFacts] = {}
    progress(stage, 0, len(tables))
    for done, (name, (schema, table, columns)) in enumerate(tables.items(), start=1):
        row = "ROW(" + ", ".join(f"t.{quote_ident(c)}" for c in columns) + ")"
        rows, checksum = conn.execute(text(
            f"SELECT count(*), coalesce(sum(('x' || left(md5({row}::text), 16))::bit(64)"
            f"::bigint::numeric), 0)::text FROM {quote_ident(schema)}.{quote_ident(table)} t"
        )).one()
        facts[name] = TableFacts(rows, checksum)
        progress(stage, done, len(tables))
    return facts


def database_facts(conn: Connection) -> dict[str, Any]:
    """Versions, extensions, settings and roles of the connected database."""
    from alembic.runtime.migration import MigrationContext

    extensions = dict(conn.execute(text(
        "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")
    ).all())
    postgis = (conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
               if "postgis" in extensions else None)
    return {
        "database": conn.execute(text("SELECT current_database()")).scalar_one(),
        "schema_revision": MigrationContext.configure(conn).get_current_revision(),
        "server_version": conn.execute(text("SHOW server_version")).scalar_one(),
        "postgis_version": postgis,
        "extensions": extensions,
        "settings": list(conn.execute(text(SETTINGS_SQL)).scalars()),
        "roles": dict(conn.execute(text(ROLES_SQL)).all()),
    }


def photo_keys(conn: Connection) -> list[str]:
    """Storage keys the ``photos`` table names (none when there is no such table)."""
    if conn.execute(text("SELECT to_regclass('public.photos')")).scalar() is None:
        return []
    return list(conn.execute(text("SELECT DISTINCT storage_key FROM photos ORDER BY 1"))
                .scalars())


def photo_files(photo_dir: Path) -> list[str]:
    """Relative POSIX paths of every file under ``photo_dir`` (sorted; the store's own
    temporary files left out). Symbolic links and other non-regular files are refused."""
    if not photo_dir.exists():
        return []
    if not photo_dir.is_dir():
        raise BackupError(f"the photo directory {photo_dir} is not a directory")
    found = []
    for path in sorted(photo_dir.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file():
            raise BackupError(f"{path} is not a regular file; the photo directory should hold "
                              "only photo files")
        if not PHOTO_TEMP.match(path.name):
            found.append(path.relative_to(photo_dir).as_posix())
    return found
