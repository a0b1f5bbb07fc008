"""What state the database is in: PostGIS version, schema revision, how much network it holds."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.migrate import head_revision
from gis.models import CableSegment


def database_status(session: Session) -> dict:
    """Return postgis, schema_revision, schema_head, segments and status ('ok' or 'migrate')."""
    conn = session.connection()
    revision = MigrationContext.configure(conn).get_current_revision()
    head = head_revision(conn.engine)
    segments = session.scalar(select(func.count()).select_from(CableSegment)) if revision else 0
    return {
        "status": "ok" if revision == head else "migrate",
        "postgis": session.execute(text("SELECT postgis_lib_version()")).scalar_one(),
        "schema_revision": revision,
        "schema_head": head,
        "segments": segments,
    }
