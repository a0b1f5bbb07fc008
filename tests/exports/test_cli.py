"""`telecom-gis export segments|check` through the command line (typer's CliRunner), reading
the test database inside the test's rolled-back transaction."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from gis.cli import app as cli
from tests.exports.network import read_back, reference

runner = CliRunner()



@pytest.fixture
def cli_db(request, net):
    """The CLI on the test database, inside the test's transaction, with the network."""
    request.getfixturevalue("cli_in_test_transaction")
    return net


def _export(*args: str):
    return runner.invoke(cli, ["export", "segments", *args])


@pytest.mark.parametrize("ext", ["geojson", "csv", "gpkg", "shp.zip", "kml"])
def test_writes_each_format(cli_db, session, tmp_path, ext):
    """The extension names the format; every segment is written; a summary says what."""
    out = tmp_path / f"network.{ext}"
    result = _export("--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert "wrote 7 segments to" in result.output and f"({ext}, EPSG:4326, as of " in result.output
    options = {"GEOM_POSSIBLE_NAMES": "geometry"} if ext == "csv" else {}
    frame = read_back(out, fid_as_index=ext == "geojson", **options)
    column = {"geojson": None, "kml": "id2"}.get(ext, "id")
    ids = {int(v) for v in (frame.index if column is None else frame[column])}
    assert ids == set(reference(session))
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_filters_format_crs_and_date(cli_db, session, tmp_path):
    """--format overrides the extension; filters, --as-of and --crs apply."""
    out = tmp_path / "viettel.txt"
    result = _export("--out", str(out), "--format", "csv", "--operator", "VIETTEL",
                     "--placement", "overhead", "--as-of", "2024-05-31", "--crs", "EPSG:9209",
                     "-q")
    assert result.exit_code == 0, result.output
    frame = read_back(f"CSV:{out}", GEOM_POSSIBLE_NAMES="geometry")
    assert {int(v) for v in frame["id"]} == {cli_db.segs[n].id for n in ("d", "e", "g")}
    assert frame.total_bounds[0] > 500_000  # eastings in metres, not degrees
    assert "(csv, EPSG:9209, as of 2024-05-31)" in result.output


def test_progress_counts_first_then_rows_written(cli_db, tmp_path):
    result = _export("--out", str(tmp_path / "all.geojson"))
    assert result.exit_code == 0, result.output
    counting, writing = result.output.index("counting segments"), result.output.index("writing")
    assert counting < writing
    assert "7/7" in result.output[writing:]


@pytest.mark.parametrize(("args", "says"), [
    (["--out", "{tmp}/x.txt"], "--format: cannot tell the format of 'x.txt'"),
    (["--out", "{tmp}/x.geojson", "--crs", "EPSG:9209"], "--crs: geojson is WGS 84"),
    (["--out", "{tmp}/x.gpkg", "--crs", "EPSG:123456"], "--crs: EPSG:123456 is not a known"),
    (["--out", "{tmp}/x.gpkg", "--operator", "NOPE"], "--operator: unknown operator"),
    (["--out", "{tmp}/x.gpkg", "--commune", "99999"], "--commune:"),
    (["--out", "{tmp}/x.gpkg", "--bbox", "106,20,107"], "--bbox: bbox needs 4"),
    (["--out", "{tmp}/x.gpkg", "--as-of", "2999-01-01"], "--as-of: as_of 2999-01-01 is in the"),
    (["--out", "{tmp}/missing/x.gpkg"], "--out: the directory"),
])
def test_bad_values_are_clear_errors(cli_db, tmp_path, args, says):
    result = _export(*(a.replace("{tmp}", str(tmp_path)) for a in args), "-q")
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_option_is_refused(cli_db, tmp_path):
    result = _export("--out", str(tmp_path / "x.gpkg"), "--format", "xlsx")
    assert result.exit_code == 2 and "xlsx" in result.output


def test_check_passes_on_an_export_and_fails_on_a_bad_file(cli_db, tmp_path):
    good = tmp_path / "good.geojson"
    assert _export("--out", str(good), "-q").exit_code == 0
    passed = runner.invoke(cli, ["export", "check", str(good)])
    assert passed.exit_code == 0 and "conforms to RFC 7946" in passed.output
    document = json.loads(good.read_text("utf-8"))
    document["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    for feature in document["features"]:
        feature["geometry"]["coordinates"] = [c[::-1] for c in feature["geometry"]["coordinates"]]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(document), "utf-8")
    failed = runner.invoke(cli, ["export", "check", str(bad)])
    assert failed.exit_code == 2
    assert "crs: the crs member is not part of RFC 7946" in failed.output
    assert re.search(r"features\[\d\]\.geometry\.coordinates\[0\]: latitude 106\.\d+ is "
                     r"outside -90\.\.90 \(axes swapped\?\)", failed.output), failed.output
    assert "breaks RFC 7946 in 16 places" in failed.output
    many = runner.invoke(cli, ["export", "check", str(good), "--max-decimals", "0"])
    assert many.exit_code == 2 and "(" in many.output and "not shown)" in many.output
