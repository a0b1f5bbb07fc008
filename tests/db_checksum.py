"""A checksum of every table's rows: "the database is exactly as it was" in one comparison.

``database_checksum`` reads every ordinary table of the ``public`` schema, each as the md5 of
its rows' text forms in sorted order, through the given connection (so a test in a
rolled-back transaction sees its own view). Row order and physical layout do not matter;
any changed, added or removed row does.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

_TABLES = text("""
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'spatial_ref_sys'
 ORDER BY c.relname""")


def table_checksums(conn: Connection) -> dict[str, str]:
    """Per table: md5 of its rows (text form, sorted) and its row count."""
    result = {}
    for (name,) in conn.execute(_TABLES).all():
        digest, rows = conn.execute(text(
            f'SELECT md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), \'\')),'
            f' count(*) FROM "{name}" t')).one()
        result[name] = f"{digest}:{rows}"
    return result


def database_checksum(bind: Connection | Engine) -> dict[str, str]:
    """:func:`table_checksums` through ``bind`` (an engine opens a connection of its own)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return table_checksums(conn)
    return table_checksums(bind)
