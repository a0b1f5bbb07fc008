"""Every validation error names its row and field, and leaves the database as it was."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pyogrio
import pytest

from gis.errors import CRSError, ImportFileError, ValidationFailed
from gis.importers import ImportOptions, import_segments
from gis.models import CableRoute
from tests.importers.network import add_operators, network, stored_segments, table_counts, write

GOOD = {
    "ma_doan": "A1",
    "doanh_nghiep": "VNPT",
    "ma_tuyen": "",
    "hinh_thuc": "treo",
    "loai_ngam": "",
    "chinh_trang": "",
    "trang_thai": "",
    "cap_tuyen": "",
    "ngay": "",
    "wkt": "LINESTRING (106.33 20.44, 106.34 20.45)",
}
COLUMNS = list(GOOD)


def _csv(folder: Path, rows: list[dict[str, str]], name: str = "doan_cap") -> Path:
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**GOOD, **row} for row in rows)
    return path


# (changes to the second data row = line 3, field, words of the reason)
CASES = {
    "missing geometry": ({"wkt": ""}, "geometry", "geometry is missing"),
    "empty geometry": ({"wkt": "LINESTRING EMPTY"}, "geometry", "geometry is empty"),
    "unreadable WKT": ({"wkt": "LINESTRING (106.3 20.4, oops)"}, "geometry", "WKT cannot be read"),
    "invalid": (
        {"wkt": "LINESTRING (106.3 20.4, 106.3 20.4)"},
        "geometry",
        "invalid geometry: Too few points",
    ),
    "point": ({"wkt": "POINT (106.3 20.4)"}, "geometry", "Point is not a line"),
    "disjoint multiline": (
        {"wkt": "MULTILINESTRING ((106.30 20.40, 106.31 20.41), (106.35 20.45, 106.36 20.46))"},
        "geometry",
        "MultiLineString with 2 parts that do not join; split it into one feature per part",
    ),
    "outside Vietnam": (
        {"wkt": "LINESTRING (2.35 48.85, 2.36 48.86)"},
        "geometry",
        "lies outside Vietnam",
    ),
    "swapped": (
        {"wkt": "LINESTRING (20.44 106.33, 20.45 106.34)"},
        "geometry",
        "latitude/longitude are swapped",
    ),
    "metres as degrees": (
        {"wkt": "LINESTRING (575000 2262000, 575100 2262100)"},
        "geometry",
        "look like projected metres, not degrees: declare the CRS, e.g. --crs EPSG:9209",
    ),
    "missing source_fid": ({"ma_doan": ""}, "source_fid", "source_fid is missing"),
    "duplicate source_fid": (
        {"ma_doan": "A1"},
        "source_fid",
        "duplicate source_fid 'A1': first used on line 2",
    ),
    "unknown operator": (
        {"doanh_nghiep": "MOBIFONE"},
        "operator",
        "unknown operator 'MOBIFONE'; known operators: VIETTEL, VNPT",
    ),
    "missing operator": ({"doanh_nghiep": ""}, "operator", "operator is missing"),
    "bad placement": (
        {"hinh_thuc": "bay"},
        "placement",
        "unknown placement 'bay'; allowed: overhead, underground",
    ),
    "missing placement": ({"hinh_thuc": ""}, "placement", "placement is missing"),
    "kind does not fit": (
        {"loai_ngam": "cống bể"},
        "placement_kind",
        "placement_kind 'duct' does not fit placement 'overhead'",
    ),
    "bad kind": (
        {"loai_ngam": "trên trời"},
        "placement_kind",
        "unknown placement_kind 'trên trời'",
    ),
    "bad tidied": (
        {"chinh_trang": "maybe"},
        "tidied",
        "unknown tidied 'maybe'; allowed: true/false",
    ),
    "bad lifecycle": (
        {"trang_thai": "broken"},
        "lifecycle",
        "unknown lifecycle 'broken'; allowed: planned, active, removed",
    ),
    "bad tier": (
        {"cap_tuyen": "huge"},
        "tier",
        "unknown tier 'huge'; allowed: trunk, intermediate, drop",
    ),
    "bad date": ({"ngay": "32/13/2024"}, "state_date", "cannot read the date '32/13/2024'"),
    "future date": ({"ngay": "2999-01-01"}, "state_date", "is in the future"),
    "too early": ({"ngay": "1975-04-30"}, "state_date", "is before 1990-01-01"),
    "route code too long": ({"ma_tuyen": "R" * 65}, "route_code", "longer than 64 characters"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_validation_error_names_row_and_field_and_writes_nothing(session, tmp_path, case):
    add_operators(session, "VNPT", "VIETTEL")
    change, field, reason = CASES[case]
    fid = {"ma_doan": "A2"} if "ma_doan" not in change else {}
    path = _csv(tmp_path, [{}, {**fid, **change}])
    before = table_counts(session)

    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:4326"))

    problems = failure.value.problems
    assert [(p.row, p.field) for p in problems] == [(3, field)], problems
    assert reason in problems[0].reason
    assert "nothing was written" in str(failure.value)
    assert table_counts(session) == before


def test_degrees_declared_as_metres(session, tmp_path):
    """Lon/lat read as EPSG:9209 metres lands near the equator: say to declare EPSG:4326."""
    add_operators(session, "VNPT")
    path = _csv(tmp_path, [{}])
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:9209"))
    assert (
        "look like longitude/latitude degrees, not EPSG:9209 metres"
        in failure.value.problems[0].reason
    )


def test_easting_northing_swapped(session, tmp_path):
    add_operators(session, "VNPT")
    path = _csv(tmp_path, [{"wkt": "LINESTRING (2262000 575000, 2262100 575100)"}])
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:9209"))
    assert failure.value.problems[0].reason == "looks like x/y (easting/northing) are swapped"


def test_route_of_another_operator_is_a_row_error(session, tmp_path):
    """A route code already owned by VIETTEL cannot take a VNPT segment."""
    ops = add_operators(session, "VNPT", "VIETTEL")
    session.add(CableRoute(code="R-9", operator_id=ops["VIETTEL"].id, tier="trunk"))
    session.flush()
    path = _csv(tmp_path, [{"ma_tuyen": "R-9"}])
    before = table_counts(session)
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:4326"))
    (problem,) = failure.value.problems
    assert (problem.row, problem.field) == (2, "route_code")
    assert problem.reason == "route 'R-9' belongs to operator VIETTEL, not VNPT"
    assert table_counts(session) == before


def test_route_with_two_operators_or_tiers_in_the_file(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    path = _csv(
        tmp_path,
        [
            {"ma_tuyen": "R-1", "cap_tuyen": "gốc"},
            {"ma_doan": "A2", "ma_tuyen": "R-1", "doanh_nghiep": "VIETTEL"},
            {"ma_doan": "A3", "ma_tuyen": "R-1", "cap_tuyen": "ngọn"},
        ],
    )
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:4326"))
    got = [(p.row, p.field, p.reason) for p in failure.value.problems]
    assert got == [
        (3, "operator", "route 'R-1' has operator 'VNPT' on line 2, not 'VIETTEL'"),
        (4, "tier", "route 'R-1' has tier 'trunk' on line 2, not 'drop'"),
    ]


def test_a_row_with_several_problems_lists_them_all(session, tmp_path):
    add_operators(session, "VNPT")
    path = _csv(tmp_path, [{"doanh_nghiep": "XYZ", "hinh_thuc": "bay", "wkt": "POINT (106 20)"}])
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path, ImportOptions(crs="EPSG:4326"))
    assert [(p.row, p.field) for p in failure.value.problems] == [
        (2, "operator"),
        (2, "placement"),
        (2, "geometry"),
    ]


def test_layer_rows_are_numbered_by_feature(session, tmp_path):
    """In a GeoPackage the third feature is row 3."""
    add_operators(session, "VNPT", "VIETTEL")
    frame = network()
    frame.loc[2, "placement"] = "bay"
    path = write(frame, tmp_path, "gpkg")
    with pytest.raises(ValidationFailed) as failure:
        import_segments(session, path)
    assert [(p.row, p.source_fid, p.field) for p in failure.value.problems] == [
        (3, "S3", "placement")
    ]


def test_skip_invalid_writes_the_good_rows_and_lists_the_bad(session, tmp_path):
    add_operators(session, "VNPT")
    path = _csv(
        tmp_path,
        [{}, {"ma_doan": "A2", "hinh_thuc": "bay"}, {"ma_doan": "A3", "hinh_thuc": "ngầm"}],
    )
    before = table_counts(session)

    report = import_segments(session, path, ImportOptions(crs="EPSG:4326", skip_invalid=True))

    assert (report.rows_read, report.inserted, report.skipped_rows) == (3, 2, 1)
    assert [(p.row, p.source_fid, p.field) for p in report.skipped] == [(3, "A2", "placement")]
    assert sorted(stored_segments(session, "doan_cap").index) == ["A1", "A3"]
    after = table_counts(session)
    assert after["cable_segments"] == before["cable_segments"] + 2
    assert after["import_runs"] == before["import_runs"] + 1


def test_file_without_crs_and_no_declaration_writes_nothing(session, tmp_path):
    add_operators(session, "VNPT")
    path = _csv(tmp_path, [{}])
    before = table_counts(session)
    with pytest.raises(CRSError, match="declare it, e.g. --crs EPSG:9209"):
        import_segments(session, path)
    assert table_counts(session) == before


def test_shapefile_without_prj_needs_a_crs(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    path = write(network(9209), tmp_path, "shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="does not say which coordinate system"):
        import_segments(session, path)
    report = import_segments(session, path, ImportOptions(crs="EPSG:9209"))
    assert report.inserted == 4


def test_declared_crs_that_contradicts_the_file(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    path = write(network(9209), tmp_path, "gpkg")
    with pytest.raises(CRSError, match="says its CRS is EPSG:9209"):
        import_segments(session, path, ImportOptions(crs="EPSG:4326"))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.gpkg", "does not exist"),
        (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "unknown file type .txt"),
        (
            lambda d: (d / "bad.gpkg").write_text("not sqlite") and d / "bad.gpkg",
            "cannot open bad.gpkg",
        ),
    ],
)
def test_unreadable_files(session, tmp_path, make, message):
    with pytest.raises(ImportFileError, match=message):
        import_segments(session, make(tmp_path), ImportOptions(crs="EPSG:4326"))


def test_zip_without_or_with_several_shapefiles(session, tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    with pytest.raises(ImportFileError, match=r"has no \.shp file \(it contains: readme.txt\)"):
        import_segments(session, empty)

    two = tmp_path / "two.zip"
    for name in ("east", "west"):
        write(network(), tmp_path / name, "shp", name)
    with zipfile.ZipFile(two, "w") as archive:
        for name in ("east", "west"):
            for part in (tmp_path / name).iterdir():
                archive.write(part, part.name)
    with pytest.raises(
        ImportFileError, match=r"several shapefiles \(east, west\); pick one with --layer"
    ):
        import_segments(session, two)
    add_operators(session, "VNPT", "VIETTEL")
    assert import_segments(session, two, ImportOptions(layer="west")).inserted == 4


def test_geopackage_with_several_layers_needs_layer(session, tmp_path):
    path = write(network(), tmp_path, "gpkg")
    pyogrio.write_dataframe(network().iloc[:1], path, layer="extra", driver="GPKG", append=True)
    with pytest.raises(ImportFileError, match=r"several layers \(network, extra\)"):
        import_segments(session, path)
    with pytest.raises(ImportFileError, match="has no layer 'nope'"):
        import_segments(session, path, ImportOptions(layer="nope"))
    add_operators(session, "VNPT", "VIETTEL")
    assert import_segments(session, path, ImportOptions(layer="extra")).inserted == 1


def test_empty_layer_is_a_file_error(session, tmp_path):
    path = write(network().iloc[:0], tmp_path, "gpkg")
    with pytest.raises(ImportFileError, match="has no features"):
        import_segments(session, path)
