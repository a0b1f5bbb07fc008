"""The test database is real PostGIS, migrated to head."""

from sqlalchemy import text

from gis.migrate import current_revision, head_revision


def test_postgis_is_installed(session):
    """PostGIS answers with a version."""
    assert session.execute(text("SELECT postgis_lib_version()")).scalar_one().startswith("3.")


def test_schema_is_at_head(engine):
    """The throwaway database was migrated by Alembic to the newest revision."""
    assert current_revision(engine) == head_revision(engine)
