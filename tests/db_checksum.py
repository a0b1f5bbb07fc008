"""A checksum of every table's rows: "the database is exactly as it was" in one comparison.

:func:`database_checksum` reads every table of the ``public`` schema (but PostGIS's
``spatial_ref_sys``), each as the md5 of its rows' text forms in sorted order, in one
statement through the given connection (so a test in a rolled-back transaction sees its own
view), and returns them by table: a difference names the tables that changed. Row order and
physical layout do not matter; any changed, added or removed row does.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

#: PostGIS's own catalogue of ~8,500 CRS definitions: not data of the application, which can
#: only read it (hashing it would double the cost of every checksum).
SKIPPED_TABLES = ("spatial_ref_sys",)


def database_checksum(bind: Connection | Engine) -> dict[str, str]:
    """``{table: "md5:rows"}`` for every table; an engine opens a connection of its own and
    sees the committed state."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return database_checksum(conn)
    tables = bind.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> ALL(:skipped) ORDER BY tablename"),
        {"skipped": list(SKIPPED_TABLES)}).scalars().all()
    parts = " UNION ALL ".join(
        f"SELECT '{table}', (SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
        f" '')) || ':' || count(*) FROM \"{table}\" t)" for table in tables)
    return dict(bind.execute(text(parts)).all()) if tables else {}
