"""`telecom-gis map progress|compliance` through the command line, on this module's copy of the
demo province (the command opens its own connection, so the data is committed)."""

from __future__ import annotations

import re

import pytest
import typer
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gis.cli import map_cmd
from gis.settings import get_settings

runner = CliRunner()
#: The command group as ``gis.cli`` mounts it (``telecom-gis map ...``).
cli = typer.Typer()
cli.add_typer(map_cmd.app, name="map")


@pytest.fixture
def cli_env(monkeypatch, live_database_url):
    """The CLI on this module's copy of the demo database, with a tile template of our own."""
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("TELECOM_GIS_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _run(*args: str):
    return runner.invoke(cli, ["map", *args])


def test_progress_map_is_a_standalone_file(cli_env, tmp_path):
    out = tmp_path / "maps" / "progress.html"
    result = _run("progress", "--out", str(out), "--as-of", "2024-12-31")
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert "/static/" not in html and "<script src=" not in html
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in html
    assert "Đến hết ngày 31/12/2024" in html and "L.polyline" in html
    segments = int(re.search(r"([\d,]+) segments", result.output).group(1).replace(",", ""))
    assert segments > 2000 and f"{out}" in result.output.replace("\n", "")


def test_compliance_map_with_filters_in_english(cli_env, tmp_path):
    out = tmp_path / "compliance.html"
    result = _run("compliance", "-o", str(out), "--operator", "VNPT", "--operator", "fpt",
                  "--commune", "98001", "--lang", "en")
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert "Telecom cable compliance with QCVN 33:2019/BTTTT" in html
    assert "Operators: VNPT, FPT" in html and "Commune: 98001" in html


@pytest.mark.parametrize(("args", "option"), [
    (["--operator", "NOPE"], "--operator"),
    (["--as-of", "2999-01-01"], "--as-of"),
    (["--commune", "97002"], "--commune"),  # a former ward, not in force today
])
def test_bad_input_exits_2_naming_the_option_and_writes_nothing(cli_env, tmp_path, args,
                                                                 option):
    out = tmp_path / "never.html"
    result = _run("progress", "--out", str(out), *args)
    assert result.exit_code == 2, result.output
    assert option in result.output and "nothing was written" in result.output
    assert not out.exists()


def test_no_database_exits_3(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", make_url(database_url).set(
        database="telecom_gis_no_such_database").render_as_string(False))
    get_settings.cache_clear()
    try:
        result = _run("progress", "--out", str(tmp_path / "x.html"))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output
