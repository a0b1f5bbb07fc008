"""`telecom-gis db ...` and start-up errors, through the real command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gis.cli import app
from gis.migrate import head_revision
from gis.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, database_url):
    """Point the CLI at the throwaway test database."""
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_upgrade_is_idempotent(cli_env, engine):
    """A second upgrade says there is nothing to do and exits 0."""
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"already at {head_revision(engine)}" in result.output


def test_status_lists_tables(cli_env, engine):
    """Status shows PostGIS, the revision and every table's row count."""
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    head = head_revision(engine)
    assert f"{head} (newest {head}: up to date)" in result.output
    assert "cable_segments" in result.output and "segment_states" in result.output


def test_unreachable_database_is_a_clear_error(monkeypatch):
    """No traceback: one message naming the database and what to do, exit code 3."""
    monkeypatch.setenv(
        "TELECOM_GIS_DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2"
    )
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3
    assert "cannot use the database at postgresql+psycopg://nobody:***@127.0.0.1:1/none" in (
        result.output
    )
    assert "make db" in result.output
    assert "Traceback" not in result.output
    assert "secret" not in result.output
