"""Bad-input corpus fixtures: a checksum of the whole database, a small API world in the test's
rolled-back transaction, and a committed operator for the importer command line.

Every case of the corpus asserts two things: the input is refused clearly (a 4xx problem
document naming the field, or a non-zero CLI exit naming the row, field or file), and the
database is exactly as it was (:func:`tests.db_checksum.database_checksum` before == after).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from api.problems import PROBLEM_JSON
from gis.settings import get_settings
from tests.api.conftest import app, client, settings  # noqa: F401 (the API fixtures)
from tests.compliance_data import World, make_world
from tests.db_checksum import database_checksum


def assert_problem(response, status: int | tuple[int, ...] | None = None,
                   field: str | None = None) -> dict:
    """``response`` is a 4xx RFC 9457 problem; ``status`` (one or several) when given; when
    ``field`` is given, it is named by the problem (an ``errors[].field`` or the detail)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    if status is not None:
        wanted = status if isinstance(status, tuple) else (status,)
        assert response.status_code in wanted, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    if field is not None:
        named = [e["field"] for e in body.get("errors", [])]
        assert field in named or any(n.startswith(field) for n in named) \
            or field in body["detail"], (field, body)
    return body


@pytest.fixture(scope="session")
def api_paths(database_url) -> dict:
    """The ``paths`` of the API's OpenAPI document, built once (the routes do not depend on
    the database; building the document takes a fifth of a second)."""
    from api.main import create_app
    from gis.settings import Settings

    return create_app(Settings(database_url=database_url)).openapi()["paths"]


@pytest.fixture
def world(session) -> World:
    """Two operators with a segment each, a user of every role, violations, and one campaign
    (``world.campaign``), all rolled back after the test."""
    from datetime import date

    from gis.models import Campaign

    built = make_world(session)
    campaign = Campaign(code="KT-BAD-01", name="Kiểm tra", legal_basis="QĐ 1/QĐ-SKHCN",
                        starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31))
    session.add(campaign)
    session.flush()
    built.campaign = campaign
    return built


@pytest.fixture
def unchanged(connection, session):
    """Context manager: the database (as the test's transaction sees it) is identical after
    the block. The ORM session is flushed first so the fixtures' rows are counted."""

    @contextmanager
    def block() -> Iterator[None]:
        session.flush()
        before = database_checksum(connection)
        yield
        assert database_checksum(connection) == before, "the database changed"

    return block


# --- the importer command line (commits for real) -------------------------------------------

runner = CliRunner()


@dataclass
class ImportCli:
    """``telecom-gis import`` on the test database under a committed operator ``code``."""

    code: str
    engine: Engine
    folder: Path

    def run(self, file: Path, *args: str) -> tuple[Result, list[dict]]:
        """Import ``file`` with ``--report``; return the result and the problems reported."""
        import csv

        from gis.cli import app as cli_app

        report = self.folder / f"problems-{uuid.uuid4().hex[:6]}.csv"
        result = runner.invoke(cli_app, ["import", str(file), "--source", self.code,
                                         "--operator", self.code, "--report", str(report),
                                         "--no-progress", *args])
        problems = []
        if report.exists():
            with report.open(encoding="utf-8") as handle:
                problems = list(csv.DictReader(handle))
        return result, problems

    def refused(self, file: Path, *args: str) -> tuple[str, list[dict]]:
        """Import ``file``, expecting a clean refusal (exit 2, no traceback) and the database
        unchanged; returns the error output and the problems reported."""
        before = database_checksum(self.engine)
        result, problems = self.run(file, *args)
        output = result.output
        assert result.exit_code == 2, (result.exit_code, output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), output
        assert "Traceback" not in output, output
        assert "error" in output.lower(), output
        assert database_checksum(self.engine) == before, "the import changed the database"
        return output, problems


@pytest.fixture(scope="module")
def import_cli(database_url, engine, tmp_path_factory) -> Iterator[ImportCli]:
    """A committed operator with a unique code, the CLI pointed at the test database; the
    operator and anything under it are deleted after the module."""
    code = f"BAD{uuid.uuid4().hex[:6].upper()}"
    patch = pytest.MonkeyPatch()
    patch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO operators (code, name) VALUES (:c, 'bad inputs')"),
                     {"c": code})
    try:
        yield ImportCli(code, engine, tmp_path_factory.mktemp("bad_imports"))
    finally:
        patch.undo()
        get_settings.cache_clear()
        with engine.begin() as conn:
            operator = "(SELECT id FROM operators WHERE code = :c)"
            conn.execute(text(f"DELETE FROM cable_segments WHERE operator_id = {operator}"),
                         {"c": code})
            conn.execute(text(f"DELETE FROM cable_routes WHERE operator_id = {operator}"),
                         {"c": code})
            conn.execute(text("DELETE FROM import_runs WHERE source = :c"), {"c": code})
            conn.execute(text("DELETE FROM operators WHERE code = :c"), {"c": code})
            conn.execute(text(
                "DELETE FROM audit_log WHERE table_name = 'operators'"
                " AND coalesce(after, before) ->> 'code' = :c"), {"c": code})
