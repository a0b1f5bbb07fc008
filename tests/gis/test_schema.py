"""The ORM models and the migrated database describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gis.models import Base

NOT_OURS = {"spatial_ref_sys", "alembic_version"}


def _include(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name in NOT_OURS)


def test_models_match_migrations(engine):
    """Alembic autogenerate finds no difference between gis.models and migration head."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_table_is_mapped(engine):
    """No table in the database is missing from the models (and so from the drift check)."""
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names()) - NOT_OURS
    assert tables == set(Base.metadata.tables)
