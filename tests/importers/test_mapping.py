"""Mapping files: Vietnamese columns and values, constants, and errors that name the key."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gis.errors import MappingError
from gis.importers import ImportOptions, import_segments, read_mapping
from tests.importers.network import add_operators, stored_segments, write

VIETNAMESE_MAPPING = """
[columns]
source_fid = "Mã đoạn"
operator = "Đơn vị quản lý"
placement = "Kiểu"
tidied = "Đã bó gọn"
state_date = "Ngày kiểm tra"
route_code = "Tuyến"

[values.placement]
"Cáp treo trên cột điện" = "overhead"
"Ống PVC" = "duct"

[values.tidied]
"Rồi" = true

[values.operator]
"Viễn thông Thái Bình" = "VNPT"
"Viettel Thái Bình" = "VIETTEL"

[defaults]
tier = "gốc"
lifecycle = "active"
"""


def _vietnamese_layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "Mã đoạn": ["TB-001", "TB-002", "TB-003"],
            "Đơn vị quản lý": ["Viễn thông Thái Bình", "Viễn thông Thái Bình", "Viettel Thái Bình"],
            "Kiểu": ["Cáp treo trên cột điện", "Ống PVC", "Treo"],
            "Đã bó gọn": ["Rồi", "", "Không"],
            "Ngày kiểm tra": ["15/03/2024", "", "2024-02-29"],
            "Tuyến": ["QT-01", "QT-01", "VT-07"],
        },
        geometry=[
            shapely.LineString([(106.33, 20.44), (106.34, 20.45)]),
            shapely.LineString([(106.34, 20.45), (106.35, 20.45)]),
            shapely.LineString([(106.36, 20.46), (106.37, 20.47)]),
        ],
        crs="EPSG:4326",
    )


def test_vietnamese_column_names_and_values(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    mapping = tmp_path / "vien_thong.toml"
    mapping.write_text(VIETNAMESE_MAPPING, encoding="utf-8")
    path = write(_vietnamese_layer(), tmp_path, "geojson", "doan_cap")

    report = import_segments(session, path, ImportOptions(mapping=mapping, source="vt"))

    assert report.inserted == 3
    stored = stored_segments(session, "vt")
    assert list(stored["operator"]) == ["VNPT", "VNPT", "VIETTEL"]
    assert list(stored["placement"]) == ["overhead", "underground", "overhead"]
    assert list(stored["placement_kind"]) == ["aerial", "duct", "aerial"]
    assert [bool(t) for t in stored["tidied"]] == [True, False, False]
    assert str(stored.loc["TB-001", "state_since"]) == "2024-03-15"
    assert set(stored["tier"]) == {"trunk"}


def test_default_mapping_matches_accented_headers(session, tmp_path):
    """Without a mapping file, "Mã đoạn", "Doanh nghiệp", "Hình thức" match ma_doan, ..."""
    add_operators(session, "VNPT")
    frame = gpd.GeoDataFrame(
        {
            "Mã đoạn": ["1", "2"],
            "Doanh nghiệp": ["VNPT", "VNPT"],
            "Hình thức": ["Cáp treo", "Cống bể"],
        },
        geometry=[shapely.LineString([(106.33, 20.44), (106.34, 20.45)])] * 2,
        crs="EPSG:4326",
    )
    report = import_segments(session, write(frame, tmp_path, "gpkg"), ImportOptions(source="acc"))
    assert report.inserted == 2
    stored = stored_segments(session, "acc")
    assert list(stored["placement_kind"]) == ["aerial", "duct"]


def test_defaults_and_operator_option_fill_missing_columns(session, tmp_path):
    add_operators(session, "FPT")
    mapping = tmp_path / "fpt.toml"
    mapping.write_text('[defaults]\nplacement = "treo"\n', encoding="utf-8")
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[shapely.LineString([(106.33, 20.44), (106.34, 20.45)])] * 2,
        crs="EPSG:4326",
    )
    path = write(frame, tmp_path, "fgb")
    report = import_segments(
        session, path, ImportOptions(mapping=mapping, operator="fpt", source="f")
    )
    assert report.inserted == 2
    assert set(stored_segments(session, "f")["placement"]) == {"overhead"}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[colums]\nsource_fid = 'x'\n", "unknown section or key 'colums'"),
        ("[columns]\nsegment = 'x'\n", r"\[columns\] segment: unknown field"),
        ("[columns]\nsource_fid = 3\n", r"\[columns\] source_fid must be a column name"),
        (
            "[values.placement]\n'Treo' = 'overhed'\n",
            r"\[values.placement\] 'Treo' = 'overhed' is not one of overhead",
        ),
        (
            "[values.tidied]\n'Có' = 'maybe'\n",
            r"\[values.tidied\] 'Có' = 'maybe' is not one of true, false",
        ),
        ("[defaults]\nsource_fid = 'x'\n", r"\[defaults\] source_fid: unknown field"),
        (
            "[defaults]\nlifecycle = 'dead'\n",
            r"\[defaults\] lifecycle = 'dead' is not one of planned",
        ),
        ("[defaults]\nstate_date = 'soon'\n", r"\[defaults\] state_date = 'soon' is not a date"),
        ("[columns\n", "is not valid TOML"),
    ],
)
def test_bad_mapping_files_name_the_key(tmp_path, toml, message):
    path = tmp_path / "m.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        read_mapping(path)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(MappingError, match="does not exist"):
        read_mapping(tmp_path / "nope.toml")


def test_named_column_must_exist_and_required_columns_are_named(session, tmp_path):
    add_operators(session, "VNPT")
    frame = gpd.GeoDataFrame(
        {"ma_doan": ["1"], "hinh_thuc": ["treo"]},
        geometry=[shapely.LineString([(106.33, 20.44), (106.34, 20.45)])],
        crs="EPSG:4326",
    )
    path = write(frame, tmp_path, "gpkg")
    with pytest.raises(MappingError, match="has no column for operator .* or give --operator CODE"):
        import_segments(session, path)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\noperator = "don_vi"\n', encoding="utf-8")
    with pytest.raises(
        MappingError, match=r"\[columns\] operator = don_vi is not a column of the file"
    ):
        import_segments(session, path, ImportOptions(mapping=mapping))


def test_empty_column_name_switches_a_default_column_off(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[columns]\nlifecycle = ""\n', encoding="utf-8")
    mapping = read_mapping(path)
    assert "lifecycle" not in mapping.resolve_columns(["ma_doan", "trang_thai"])
    assert read_mapping().resolve_columns(["ma_doan", "trang_thai"])["lifecycle"] == "trang_thai"
