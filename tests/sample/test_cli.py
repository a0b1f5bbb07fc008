"""`telecom-gis sample generate|load` through the real command line."""

from __future__ import annotations

from sqlalchemy import text
from typer.testing import CliRunner

from gis.cli import app

runner = CliRunner()


def test_generate_writes_the_files(tmp_path):
    """A small set: every file written, a summary with counts and the SYNTHETIC notice."""
    result = runner.invoke(app, ["sample", "generate", "-n", "400", "--seed", "7",
                                 "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert {"segments.geojson", "structures.geojson", "admin_units.geojson", "routes.csv",
            "operators.csv", "crosswalk.csv", "segment_history.csv", "plans.csv",
            "manifest.json"} <= names
    assert "SYNTHETIC" in result.output and "segments.geojson" in result.output


def test_generate_refuses_to_overwrite_the_demo_with_other_arguments():
    """Without --out only the default demo may be (re)generated."""
    result = runner.invoke(app, ["sample", "generate", "-n", "400"])
    assert result.exit_code == 1
    assert "--out DIR is required" in result.output


def test_load_of_a_missing_directory_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["sample", "load", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "not found" in result.output and "Traceback" not in result.output


def test_load_the_committed_demo(cli_in_test_transaction):
    """`sample load` (no argument) loads the committed demo and says what it did."""
    result = runner.invoke(app, ["sample", "load", "-q"])
    assert result.exit_code == 0, result.output
    assert "3,000 segments of this sample" in result.output
    session = cli_in_test_transaction
    count = session.execute(text(
        "SELECT count(*) FROM cable_segments WHERE source = 'sample:thai_binh_demo'")).scalar()
    assert count == 3000
