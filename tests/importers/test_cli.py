"""`telecom-gis import` through the real command line (commits into the throwaway test database,
under a unique operator and source that the fixture removes afterwards)."""

from __future__ import annotations

import csv
import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gis.cli import app
from gis.settings import get_settings
from tests.importers.network import network, write

runner = CliRunner()


@pytest.fixture
def cli_setup(monkeypatch, database_url, engine):
    """A registered operator with a unique code; everything it owns, and the audit rows of the
    operator itself, are deleted afterwards (other tests page through the audit log)."""
    code = f"CLI{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO operators (code, name) VALUES (:c, 'CLI test')"), {"c": code}
        )
    yield code
    get_settings.cache_clear()
    with engine.begin() as conn:
        operator = "(SELECT id FROM operators WHERE code = :c)"
        conn.execute(
            text(f"DELETE FROM cable_segments WHERE operator_id = {operator}"), {"c": code}
        )
        conn.execute(text("DELETE FROM import_runs WHERE source = :c"), {"c": code})
        conn.execute(text("DELETE FROM operators WHERE code = :c"), {"c": code})
        conn.execute(text(  # the audit trail of the fixture's own operator row
            "DELETE FROM audit_log WHERE table_name = 'operators'"
            " AND coalesce(after, before) ->> 'code' = :c"), {"c": code})


def _file(tmp_path, code, kind="gpkg", **changes):
    frame = network(9209 if kind == "csv" else 4326)
    frame["operator"] = code
    frame["route_code"] = ""
    for column, values in changes.items():
        frame[column] = values
    return write(frame, tmp_path, kind)


def _count(engine, code) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM cable_segments s JOIN operators o ON o.id = s.operator_id "
                "WHERE o.code = :c"
            ),
            {"c": code},
        ).scalar_one()


def test_import_then_reimport(cli_setup, tmp_path, engine):
    path = _file(tmp_path, cli_setup)
    args = ["import", str(path), "--source", cli_setup, "--no-progress"]

    first = runner.invoke(app, args)
    again = runner.invoke(app, args)

    assert first.exit_code == 0, first.output
    assert "inserted" in first.output and "segments/s" in first.output
    assert again.exit_code == 0, again.output
    assert _count(engine, cli_setup) == 4
    assert "unchanged" in again.output


def test_bad_rows_exit_2_name_rows_and_write_nothing(cli_setup, tmp_path, engine):
    path = _file(tmp_path, cli_setup, placement=["overhead", "bay", "overhead", "sky"])
    report = tmp_path / "problems.csv"

    result = runner.invoke(
        app, ["import", str(path), "--source", cli_setup, "--report", str(report), "--no-progress"]
    )

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "2 rows of network.gpkg have problems; nothing was written" in result.output
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["source_fid"], r["field"]) for r in rows] == [
        ("2", "S2", "placement"),
        ("4", "S4", "placement"),
    ]
    assert _count(engine, cli_setup) == 0


def test_csv_without_crs_is_a_one_line_error(cli_setup, tmp_path, engine):
    path = _file(tmp_path, cli_setup, kind="csv")

    missing = runner.invoke(app, ["import", str(path), "--no-progress"])
    declared = runner.invoke(
        app,
        [
            "import",
            str(path),
            "--crs",
            "EPSG:9209",
            "--source",
            cli_setup,
            "--dry-run",
            "--no-progress",
        ],
    )

    assert missing.exit_code == 2
    assert "error:" in missing.output and "--crs EPSG:9209" in missing.output
    assert "Traceback" not in missing.output
    assert declared.exit_code == 0, declared.output
    assert "dry run" in declared.output
    assert _count(engine, cli_setup) == 0
