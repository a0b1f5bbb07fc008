"""The sample generator: deterministic, and its output is a plausible, consistent network."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from gis.sample import CITY, DEFAULT_SEED, demo_directory
from gis.sample.generate import generate_sample

CABLE_OPERATORS = {"VNPT", "VIETTEL", "FPT", "VTVCAB"}
GEOD = Geod(ellps="WGS84")


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.iterdir()) if p.is_file()}


def _span_lengths(segments) -> np.ndarray:
    coords = shapely.get_coordinates(segments.geometry.to_numpy()).reshape(-1, 2, 2)
    return GEOD.inv(coords[:, 0, 0], coords[:, 0, 1], coords[:, 1, 0], coords[:, 1, 1])[2]


def test_same_seed_gives_identical_files(demo_dir, tmp_path):
    """Generating again with the same seed writes byte-identical files."""
    generate_sample(tmp_path)
    assert _digests(tmp_path) == _digests(demo_dir)


def test_different_seed_gives_different_network(demo_dir, tmp_path):
    """Another seed gives other geometry, history and geography."""
    generate_sample(tmp_path, seed=DEFAULT_SEED + 1)
    ours, theirs = _digests(demo_dir), _digests(tmp_path)
    for name in ("segments.geojson", "structures.geojson", "segment_history.csv",
                 "admin_units.geojson"):
        assert ours[name] != theirs[name], name
    assert ours["operators.csv"] == theirs["operators.csv"]


def test_committed_demo_is_the_generators_output(demo_dir):
    """sample_data/thai_binh_demo equals a fresh generation (regenerate it if this fails:
    `telecom-gis sample generate`)."""
    committed = demo_directory()
    assert committed.is_dir(), f"{committed} is missing"
    assert _digests(committed) == _digests(demo_dir)


def test_operators(demo):
    """The four cable operators plus the power company, with valid codes and kinds."""
    ops = demo["operators"]
    assert set(ops["code"]) == CABLE_OPERATORS | {"EVN"}
    assert all(re.fullmatch(r"[A-Z0-9][A-Z0-9_-]*", c) for c in ops["code"])
    kinds = dict(zip(ops["code"], ops["kind"], strict=True))
    assert kinds["VTVCAB"] == "cable_tv" and kinds["EVN"] == "power" and kinds["FPT"] == "telecom"


def test_segments_are_valid_spans_inside_the_box(demo):
    """3,000 valid two-point LineStrings inside the demo box, unique ids, all marked synthetic."""
    seg = demo["segments"]
    assert len(seg) == 3000
    geoms = seg.geometry.to_numpy()
    assert (shapely.get_type_id(geoms) == 1).all()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_num_coordinates(geoms) == 2).all()
    west, south, east, north = seg.total_bounds
    assert CITY.west <= west and east <= CITY.east and CITY.south <= south and north <= CITY.north
    assert seg["source_fid"].is_unique
    assert seg["synthetic"].all()
    assert set(seg["operator"]) == CABLE_OPERATORS
    assert set(seg["route_code"]) <= set(demo["routes"]["code"])


def test_spans_follow_the_placement(demo):
    """Aerial spans are about 30-60 m, duct spans longer; kinds fit placements."""
    seg = demo["segments"]
    length = _span_lengths(seg)
    aerial = (seg["placement"] == "overhead").to_numpy()
    assert (seg.loc[aerial, "placement_kind"] == "aerial").all()
    assert (seg.loc[~aerial, "placement_kind"] == "duct").all()
    assert 30 <= np.median(length[aerial]) <= 60
    assert np.percentile(length[aerial], 90) <= 65
    assert np.median(length[~aerial]) > np.median(length[aerial]) + 20


def test_mostly_overhead_at_first(demo):
    """80-95 % of the cable length starts overhead (Thái Bình: 91.4 %, S27), by count too."""
    seg = demo["segments"]
    length = _span_lengths(seg)
    overhead = (seg["placement"] == "overhead").to_numpy()
    assert 0.80 <= length[overhead].sum() / length.sum() <= 0.95
    assert 0.80 <= overhead.mean() <= 0.97


def test_operators_run_in_parallel_without_coinciding(demo):
    """Several operators share streets, and no two segments have the same geometry."""
    seg = demo["segments"]
    assert seg.groupby(seg["route_code"].str.split("-").str[1])["operator"].nunique().max() >= 3
    assert shapely.to_wkb(seg.geometry.to_numpy()).tolist().__len__() == len(
        set(shapely.to_wkb(seg.geometry.to_numpy()).tolist()))


def test_history_is_dated_after_the_initial_state(demo):
    """Changes fall in 2020-2025, after each segment's state_date, and are consistent."""
    seg, history = demo["segments"], demo["history"]
    assert len(history) > 500
    dates = pd.to_datetime(history["effective_date"])
    assert dates.min() >= pd.Timestamp("2020-01-01")
    assert dates.max() <= pd.Timestamp("2025-12-31")
    first = pd.to_datetime(seg.set_index("source_fid")["state_date"])
    assert set(history["source_fid"]) <= set(first.index)
    assert (dates.to_numpy() > first.loc[history["source_fid"]].to_numpy()).all()
    assert not history.duplicated(["source_fid", "effective_date"]).any()
    pairs = set(zip(history["placement"], history["placement_kind"], strict=True))
    assert pairs <= {("overhead", "aerial"), ("underground", "duct")}
    # Every kind of change happens: undergrounding, tidying, removal.
    assert (history["placement"] == "underground").any()
    assert (history["tidied"] == "true").any()
    assert (history["lifecycle"] == "removed").any()
    # Nothing happens to a segment after it is removed.
    ordered = history.assign(d=dates).sort_values(["source_fid", "d"])
    removed_before = ordered.groupby("source_fid")["lifecycle"].transform(
        lambda s: (s == "removed").shift(fill_value=False).cummax())
    assert not removed_before.any()


def test_2020_city_plan_streets(demo):
    """Lý Thường Kiệt, Võ Nguyên Giáp and Quang Trung are tidied in spring 2020 (S28)."""
    routes, seg, history = demo["routes"], demo["segments"], demo["history"]
    for street in ("Lý Thường Kiệt", "Võ Nguyên Giáp", "Quang Trung"):
        codes = set(routes.loc[routes["street"] == street, "code"])
        fids = set(seg.loc[seg["route_code"].isin(codes), "source_fid"])
        assert fids, street
        tidy = history[history["source_fid"].isin(fids) & (history["tidied"] == "true")]
        first = pd.to_datetime(tidy.groupby("source_fid")["effective_date"].min())
        assert len(first) == len(fids)
        assert first.between("2020-04-15", "2020-06-15").all()


@pytest.mark.parametrize("valid_from", ["2004-01-01", "2025-07-01"])
def test_communes_tile_the_box(demo, valid_from):
    """Old and new communes each cover the demo box without gaps or overlaps (areas in deg²)."""
    units = demo["units"]
    communes = units[(units["level"] == "commune")
                     & (units["valid_from"].astype(str).str[:10] == valid_from)]
    assert len(communes) >= 5
    assert communes["code"].str.fullmatch(r"\d{5}").all()
    geoms = communes.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 6).all()  # MultiPolygon
    union = shapely.union_all(geoms)
    assert shapely.area(union) == pytest.approx(shapely.box(*CITY.bounds).area, rel=1e-6)
    assert shapely.area(geoms).sum() == pytest.approx(shapely.area(union), rel=1e-6)
    overlaps = shapely.area(shapely.intersection(geoms[:, None], geoms[None, :]))
    np.fill_diagonal(overlaps, 0.0)
    assert overlaps.max() < 1e-9


def test_units_have_parents_and_validity(demo):
    """Parents exist with the given key; old units end 2025-07-01, new ones start then."""
    features = demo["units_json"]["features"]
    keys = {(f["properties"]["code"], f["properties"]["valid_from"]) for f in features}
    for f in features:
        p = f["properties"]
        assert p["source"] == "synthetic" and p["synthetic"] is True
        if p["parent_code"]:
            assert (p["parent_code"], p["parent_valid_from"]) in keys
        if p["valid_from"] == "2025-07-01":
            assert p["valid_to"] is None and p["level"] != "district"
        else:
            assert p["valid_from"] == "2004-01-01" and p["valid_to"] == "2025-07-01"
    levels = [f["properties"]["level"] for f in features]
    assert levels.count("province") == 2 and levels.count("district") == 1


def test_crosswalk_shares_sum_to_one(demo):
    """Each old unit's shares sum to 1; every code refers to a unit."""
    walk = demo["crosswalk"].assign(area_share=lambda f: f["area_share"].astype(float))
    codes = set(demo["units"]["code"])
    assert set(walk["old_code"]) <= codes and set(walk["new_code"]) <= codes
    assert (walk["area_share"] > 0).all() and (walk["area_share"] <= 1).all()
    sums = walk.groupby(["old_code", "old_valid_from"])["area_share"].sum()
    assert np.allclose(sums, 1.0, atol=1e-6)
    old_units = demo["units"][demo["units"]["valid_from"].astype(str).str[:10] == "2004-01-01"]
    assert set(sums.index.get_level_values(0)) == set(old_units["code"])


def test_structures_at_every_segment_end(demo):
    """Each segment end has a pole or manhole within 1 m; owners and sharers are operators."""
    seg, st = demo["segments"], demo["structures"]
    ends = shapely.get_coordinates(seg.geometry.to_numpy()).reshape(-1, 2)
    tree = shapely.STRtree(st.geometry.to_numpy())
    pairs = tree.query_nearest(shapely.points(ends), all_matches=False)
    assert (pairs[0] == np.arange(len(ends))).all()
    near = st.geometry.to_numpy()[pairs[1]]
    metres = GEOD.inv(ends[:, 0], ends[:, 1], shapely.get_x(near), shapely.get_y(near))[2]
    assert metres.max() < 1.0
    assert st["source_fid"].is_unique
    assert set(st["kind"]) == {"pole", "manhole", "cabinet"}
    poles = st[st["kind"] == "pole"]
    assert (poles["owner"] == "EVN").mean() > 0.7
    assert set(st.loc[st["kind"] == "manhole", "owner"]) <= CABLE_OPERATORS
    sharers = {c for v in st["shared_by"].fillna("") for c in v.split(";") if c}
    assert sharers <= CABLE_OPERATORS and sharers


def test_plans(demo):
    """Plans 2024-2026 name communes in force that year, or routes that exist."""
    plans = demo["plans"]
    assert set(plans["year"].astype(int)) == {2024, 2025, 2026}
    assert not plans.duplicated(["year", "name"]).any()
    units = demo["units"]
    for row in plans.itertuples():
        assert row.commune_code or row.operator
        if row.commune_code:
            unit = units[units["code"] == row.commune_code].iloc[0]
            start = pd.Timestamp(date(int(row.year), 1, 1))
            assert pd.Timestamp(unit["valid_from"]) <= start
            assert pd.isna(unit["valid_to"]) or pd.Timestamp(unit["valid_to"]) > start
        codes = [c for c in row.route_codes.split(";") if c]
        assert set(codes) <= set(demo["routes"]["code"])
        assert row.commune_code or codes


def test_manifest_matches_the_files(demo, demo_dir):
    """The manifest counts the rows of every file and marks the set synthetic."""
    manifest = demo["manifest"]
    assert manifest["synthetic"] is True and manifest["seed"] == DEFAULT_SEED
    assert manifest["rows"]["segments.geojson"] == len(demo["segments"])
    assert manifest["rows"]["segment_history.csv"] == len(demo["history"])
    assert manifest["rows"]["structures.geojson"] == len(demo["structures"])
    assert sorted(manifest["rows"]) == sorted(p.name for p in demo_dir.iterdir()
                                              if p.name != "manifest.json")


def test_large_mode_smoke(tmp_path):
    """Province mode: 20,000 segments as GeoPackage spread beyond the city, same structure."""
    result = generate_sample(tmp_path, segments=20_000, area="province")
    assert result.format == "geojson"  # the format follows the size unless asked
    gpkg = generate_sample(tmp_path / "gpkg", segments=20_000, area="province", fmt="gpkg")
    assert gpkg.rows["segments.gpkg"] == 20_000
    from gis.sample.files import read_layer

    seg = read_layer(tmp_path / "gpkg" / "segments.gpkg")
    assert len(seg) == 20_000 and seg["source_fid"].is_unique
    west, south, east, north = seg.total_bounds
    assert 106.0 <= west and east <= 106.65 and 20.25 <= south and north <= 20.70
    assert shapely.is_valid(seg.geometry.to_numpy()).all()
    same = read_layer(tmp_path / "segments.geojson")
    same["state_date"] = same["state_date"].dt.strftime("%Y-%m-%d")  # GPKG keeps it as text
    pd.testing.assert_frame_equal(seg.drop(columns="geometry"), same.drop(columns="geometry"),
                                  check_dtype=False)
    assert shapely.equals_exact(seg.geometry.to_numpy(), same.geometry.to_numpy(), 1e-9).all()
