"""Broken files given to ``telecom-gis import``: corrupt, truncated, empty, random bytes under a
known extension, a zip bomb, a zip whose member names climb out of it, a billion-laughs KML,
deeply nested GeoJSON, a sparse multi-gigabyte file. Each is refused with exit code 2 and an
error naming the file (no traceback), and the database is exactly as it was."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.importers.network import network, write

#: Size the zip bomb expands to: over 1 GiB of zeros, compressed to ~5 MB.
BOMB_MIB = 1100


@pytest.fixture(scope="module")
def valid(import_cli, tmp_path_factory) -> dict[str, Path]:
    """A valid file of every kind (the small Thái Bình network under the test operator)."""
    folder = tmp_path_factory.mktemp("valid")
    frame = network()
    frame["operator"] = import_cli.code
    frame["route_code"] = ""
    return {kind: write(frame, folder / kind, kind)
            for kind in ("geojson", "gpkg", "zip", "kml", "fgb", "shp")}


def _truncated(valid, folder, kind, keep=10 * 1024):
    source = valid[kind]
    path = folder / f"truncated{source.suffix}"
    path.write_bytes(source.read_bytes()[:min(keep, source.stat().st_size // 2)])
    return path


def _random(folder, suffix):
    path = folder / f"random{suffix}"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def _empty(folder, suffix):
    path = folder / f"empty{suffix}"
    path.write_bytes(b"")
    return path


def _flipped_middle(valid, folder, kind):
    """The file with its middle 4 KB overwritten by 0xFF (a damaged disk or transfer)."""
    data = bytearray(valid[kind].read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = b"\xff" * len(data[middle:middle + 4096])
    path = folder / f"damaged{valid[kind].suffix}"
    path.write_bytes(bytes(data))
    return path


def _zip_bomb(valid, folder):
    """A zipped Shapefile whose .shp expands to BOMB_MIB MiB of zeros (streamed, never held)."""
    shp = valid["shp"]
    path = folder / "bomb.zip"
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for part in shp.parent.iterdir():
            if part.suffix != ".shp":
                archive.write(part, part.name)
        with archive.open(shp.name, "w", force_zip64=True) as member:
            for _ in range(BOMB_MIB):
                member.write(chunk)
    return path


def _traversal_zip(valid, folder):
    """A zipped Shapefile whose members are named ``../../../tmp/<name>``."""
    path = folder / "climb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in valid["shp"].parent.iterdir():
            archive.write(part, f"../../../tmp/evil_{part.name}")
    return path


def _not_a_zip(folder):
    path = folder / "renamed.zip"
    path.write_bytes(b"PK\x03\x04" + os.urandom(4096))
    return path


def _sparse(folder, suffix, gib=4):
    """A sparse file of ``gib`` GiB of zeros (no disk used): must not be read whole."""
    path = folder / f"huge{suffix}"
    with path.open("wb") as handle:
        handle.truncate(gib << 30)
    return path


def _text(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE kml [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&g;</name>
<LineString><coordinates>106.33,20.44 106.34,20.45</coordinates></LineString>
</Placemark></Document></kml>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&secret;</name>
<LineString><coordinates>106.33,20.44 106.34,20.45</coordinates></LineString>
</Placemark></Document></kml>
"""


def _nested_geojson(depth=100_000):
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            ' "geometry": {"type": "LineString", "coordinates": ' + "[" * depth + "]" * depth
            + "}}]}")


#: name -> builder(valid files, folder) of a file the importer must refuse.
FILES = {
    "truncated GeoPackage (first 10 KB)": lambda v, d: _truncated(v, d, "gpkg"),
    "truncated GeoJSON": lambda v, d: _truncated(v, d, "geojson", keep=300),
    "truncated KML": lambda v, d: _truncated(v, d, "kml", keep=400),
    "truncated FlatGeobuf": lambda v, d: _truncated(v, d, "fgb"),
    "truncated zipped Shapefile": lambda v, d: _truncated(v, d, "zip"),
    "damaged zipped Shapefile": lambda v, d: _flipped_middle(v, d, "zip"),
    "random bytes .gpkg": lambda v, d: _random(d, ".gpkg"),
    "random bytes .geojson": lambda v, d: _random(d, ".geojson"),
    "random bytes .kml": lambda v, d: _random(d, ".kml"),
    "random bytes .fgb": lambda v, d: _random(d, ".fgb"),
    "random bytes .shp": lambda v, d: _random(d, ".shp"),
    "random bytes .zip": lambda v, d: _not_a_zip(d),
    "empty .gpkg": lambda v, d: _empty(d, ".gpkg"),
    "empty .geojson": lambda v, d: _empty(d, ".geojson"),
    "empty .csv": lambda v, d: _empty(d, ".csv"),
    "empty .zip": lambda v, d: _empty(d, ".zip"),
    "empty .kml": lambda v, d: _empty(d, ".kml"),
    "zip bomb (over 1 GiB of zeros)": _zip_bomb,
    "zip members named ../../../tmp/...": _traversal_zip,
    "sparse 4 GiB .gpkg": lambda v, d: _sparse(d, ".gpkg"),
    "sparse 4 GiB .fgb": lambda v, d: _sparse(d, ".fgb"),
    "billion-laughs KML": lambda v, d: _text(d, "laughs.kml", BILLION_LAUGHS),
    "KML with an external entity (XXE)": lambda v, d: _text(d, "xxe.kml", XXE),
    "GeoJSON nested 100,000 deep": lambda v, d: _text(d, "deep.geojson", _nested_geojson()),
    "GeoJSON that is a bare array": lambda v, d: _text(d, "array.geojson", "[1, 2, 3]"),
    "GeoJSON FeatureCollection without features": lambda v, d: _text(
        d, "nofeatures.geojson", '{"type": "FeatureCollection", "features": []}'),
    "a directory named .gpkg": lambda v, d: (d / "folder.gpkg").mkdir() or d / "folder.gpkg",
    "a file without extension": lambda v, d: _text(d, "network", "{}"),
    "a .exe": lambda v, d: _text(d, "network.exe", "MZ"),
}


@pytest.mark.parametrize("case", list(FILES))
def test_import_refuses_broken_file_naming_it(import_cli, valid, tmp_path, case):
    path = FILES[case](valid, tmp_path)
    output, problems = import_cli.refused(path, "--crs", "EPSG:4326")
    assert path.name in output, output
    assert "/etc/passwd" not in output and "root:" not in output
    assert not list(Path("/tmp").glob("evil_network.*"))


#: name -> text of a ``--mapping`` file (TOML) the importer must refuse, naming it.
MAPPINGS = {
    "not TOML": "[columns\nsource_fid = ",
    "binary": None,
    "unknown section": "[tables]\nx = 1\n",
    "unknown field": '[columns]\ncolour = "mau"\n',
    "column list of numbers": "[columns]\nsource_fid = [1, 2]\n",
    "value outside the allowed ones": '[values.placement]\n"treo" = "sky"\n',
    "SQL in a column name": '[columns]\nsource_fid = "ma\\"; DROP TABLE operators; --"\n',
}


@pytest.mark.parametrize("case", list(MAPPINGS))
def test_import_refuses_a_broken_mapping_file(import_cli, valid, tmp_path, case):
    mapping = tmp_path / "mapping.toml"
    if MAPPINGS[case] is None:
        mapping.write_bytes(os.urandom(2048))
    else:
        mapping.write_text(MAPPINGS[case], encoding="utf-8")
    output, _ = import_cli.refused(valid["geojson"], "--mapping", str(mapping))
    assert "mapping.toml" in output or "mapping" in output.lower(), output
