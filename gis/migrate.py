"""Schema migrations (Alembic), driven from code so the package needs no alembic.ini."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.orm import Session


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config whose scripts are gis/migrations and whose URL is ``engine``'s."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("gis") / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head", checklist_file: Path | None = None) -> None:
    """Bring the schema up to ``revision`` in one transaction.

    At head, the bundled checklist catalogue (and ``checklist_file`` when given) is loaded too,
    so a migrated database can record visits; loading an already-loaded version is a no-op.
    """
    from gis.compliance.catalogue import load_catalogue

    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        if revision == "head":
            with Session(bind=conn) as session:
                load_catalogue(session)
                if checklist_file is not None:
                    load_catalogue(session, checklist_file)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it has no schema yet."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str:
    """Return the newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head
