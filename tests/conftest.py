"""Test fixtures: a throwaway PostGIS database per run, migrated with Alembic; one rolled-back
transaction per test. If PostGIS is unreachable the run fails; it never skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gis.db import check_connection, make_engine, normalise_url
from gis.migrate import upgrade
from gis.settings import get_settings

#: Live-server fixtures (uvicorn on a copy of the demo database) for tests/browser, tests/ogc.
pytest_plugins = ["tests.live"]

TEMPLATE = os.environ.get("TELECOM_GIS_TEST_TEMPLATE", "telecom_gis_template")


def _server_url() -> str:
    return normalise_url(
        os.environ.get("TELECOM_GIS_TEST_DATABASE_URL") or get_settings().database_url
    )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Create ``telecom_gis_test_<random>`` from the PostGIS template, migrate it, drop it after."""
    server = make_url(_server_url())
    name = f"telecom_gis_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server.set(database="postgres").render_as_string(False),
                        isolation_level="AUTOCOMMIT")
    check_connection_admin(admin)
    with admin.connect() as conn:
        has_template = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :t"), {"t": TEMPLATE}
        ).first()
        template = f" TEMPLATE {TEMPLATE}" if has_template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    url = server.set(database=name).render_as_string(False)
    try:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        assert check_connection(engine), "PostGIS is not installed in the test database"
        upgrade(engine)
        _without_autovacuum(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _without_autovacuum(engine: Engine) -> None:
    """Keep autovacuum off the test database's tables. Every test's rows are rolled back, so
    autovacuum would analyse tables that look empty to it while a module's transaction holds
    the demo province; the planner then takes 3,000-row tables for empty ones and a report
    query runs for minutes (seen in long runs). Without statistics it estimates from the pages
    in use, as on a fresh database; tests that check plans gather statistics themselves."""
    with engine.begin() as conn:
        for (table,) in conn.execute(text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                " WHERE schemaname = 'public' AND tableowner = current_user")):
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))


def check_connection_admin(admin: Engine) -> None:
    """Fail the run (not skip) with a clear message when the server is unreachable."""
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(
            f"PostgreSQL is unreachable at {admin.url.render_as_string(hide_password=True)}: "
            f"{exc}. Run `make db` (or set TELECOM_GIS_TEST_DATABASE_URL).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Engine on the throwaway test database.

    A statement that runs over 2 minutes fails the test instead of hanging the run (a bad plan
    once hung CI for 9 minutes)."""
    eng = make_engine(database_url, connect_args={"options": "-c statement_timeout=120000"})
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine):
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                trans.rollback()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    """ORM session joined to the test's transaction; its commits become savepoints."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as sess:
        yield sess


@pytest.fixture
def cli_in_test_transaction(monkeypatch, database_url, session):
    """Point the CLI at the test database, inside the test's rolled-back transaction."""
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    get_settings.cache_clear()

    @contextmanager
    def joined(engine, actor=None):
        yield session

    monkeypatch.setattr("gis.db.transaction", joined)
    yield session
    get_settings.cache_clear()


def pytest_sessionfinish(session, exitstatus):
    """When the whole API suite ran (no -k / -m selection), fail the run if some route of the
    app never answered a test's request with success: every route must be exercised."""
    from pathlib import Path

    config = session.config
    if config.option.keyword or config.option.markexpr or exitstatus != 0:
        return
    api_dir = Path(__file__).parent / "api"
    wanted = {str(p) for p in api_dir.glob("test_*.py")}
    ran = {str(item.path) for item in session.items}
    if not wanted <= ran:
        return
    from api.main import create_app
    from gis.settings import Settings
    from tests.api.conftest import EXERCISED, all_routes

    missing = sorted(all_routes(create_app(Settings())) - EXERCISED)
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(f"routes no test used successfully: {missing}", red=True)
        session.exitstatus = 1
