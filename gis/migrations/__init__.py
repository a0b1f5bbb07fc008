"""Alembic migrations of the telecom-gis schema (run them with `telecom-gis db upgrade`)."""

from __future__ import annotations

from importlib import resources

from alembic import op


def run_sql_file(name: str) -> None:
    """Execute ``gis/migrations/sql/<name>`` on the migration's connection.

    The text goes straight to the driver with no parameters, so the ``%`` of PL/pgSQL RAISE
    formats is not taken for a placeholder.
    """
    sql = resources.files("gis.migrations").joinpath(f"sql/{name}").read_text("utf-8")
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql)
