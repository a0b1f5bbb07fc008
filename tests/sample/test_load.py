"""Loading the committed demo into the database: counts, state history, idempotency."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from gis.sample import DEMO_SOURCE, demo_directory
from gis.sample.load import load_sample, loaded_figures

TABLES = ("operators", "admin_units", "admin_unit_crosswalk", "cable_routes", "structures",
          "structure_sharers", "cable_segments", "segment_states", "undergrounding_plans",
          "plan_routes", "users", "campaigns", "inspections", "inspection_results", "violations",
          "penalty_decisions", "penalty_violations")


def _table_counts(session) -> dict[str, int]:
    return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _underground_km(session, as_of: date) -> float:
    """Km underground and active at the end of ``as_of``, straight from segment_states."""
    return session.execute(text("""
        SELECT coalesce(sum(c.length_m), 0) / 1000.0
          FROM (SELECT DISTINCT ON (segment_id) segment_id, placement, lifecycle
                  FROM segment_states WHERE effective_date <= :d
                 ORDER BY segment_id, effective_date DESC, id DESC) s
          JOIN cable_segments c ON c.id = s.segment_id
         WHERE s.placement = 'underground' AND s.lifecycle = 'active'
           AND c.source = :source"""), {"d": as_of, "source": DEMO_SOURCE}).scalar_one()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((demo_directory() / "manifest.json").read_text("utf-8"))


@pytest.fixture
def session(demo_session):
    """Every test of this module starts from the committed demo, loaded once per module."""
    return demo_session


@pytest.fixture
def loaded(demo_loaded):
    """load_sample's counts for the committed demo."""
    return demo_loaded[1]


def test_counts_per_table(session, loaded, manifest):
    """Every file row lands in its table, and the segments' first states plus the history."""
    rows = manifest["rows"]
    counts = _table_counts(session)
    assert counts["operators"] == 5
    codes = set(session.scalars(text("SELECT code FROM operators")))
    assert codes == {"VNPT", "VIETTEL", "FPT", "VTVCAB", "EVN"}
    assert counts["admin_units"] == rows["admin_units.geojson"]
    assert counts["admin_unit_crosswalk"] == rows["crosswalk.csv"]
    assert counts["cable_routes"] == rows["routes.csv"]
    assert counts["structures"] == rows["structures.geojson"]
    assert counts["cable_segments"] == rows["segments.geojson"] == 3000
    assert counts["segment_states"] == rows["segments.geojson"] + rows["segment_history.csv"]
    assert counts["undergrounding_plans"] == rows["plans.csv"]
    assert counts["plan_routes"] == loaded["plan_routes"]["read"] > 0
    assert counts["structure_sharers"] == loaded["structure_sharers"]["read"] > 0
    assert loaded["segments"] == {"read": 3000, "added": 3000, "updated": 0, "removed": 0}
    assert loaded["segment_states"]["added"] == rows["segment_history.csv"]


def test_segments_get_communes_and_structures(session, loaded):
    """The database puts (almost) every segment in a commune in force today; ends are linked."""
    figures = loaded_figures(session, DEMO_SOURCE)
    assert figures["segments"] == 3000
    assert figures["with_commune"] >= 0.95 * 3000
    assert figures["with_structures"] == 3000
    in_force = session.execute(text("""
        SELECT bool_and(u.valid_to IS NULL AND u.valid_from = DATE '2025-07-01')
          FROM cable_segments c JOIN admin_units u ON u.id = c.commune_id""")).scalar_one()
    assert in_force
    far = session.execute(text("""
        SELECT count(*) FROM cable_segments c JOIN structures s ON s.id = c.start_structure_id
         WHERE ST_Distance(s.geom::geography, ST_StartPoint(c.geom)::geography) > 1.0""")).scalar()
    assert far == 0


def test_current_state_is_the_latest_history_row(session, loaded):
    """The history trigger brought each segment's columns up to its latest state."""
    mismatched = session.execute(text("""
        SELECT count(*) FROM cable_segments c
          JOIN LATERAL (SELECT * FROM segment_states s WHERE s.segment_id = c.id
                         ORDER BY effective_date DESC, id DESC LIMIT 1) l ON true
         WHERE (c.placement, c.placement_kind, c.tidied, c.lifecycle, c.state_since)
               IS DISTINCT FROM (l.placement, l.placement_kind, l.tidied, l.lifecycle,
                                 l.effective_date)""")).scalar_one()
    assert mismatched == 0
    removed = session.execute(text(
        "SELECT count(*) FROM cable_segments WHERE lifecycle = 'removed'")).scalar_one()
    assert removed > 0


def test_underground_km_grows_2019_to_2025(session, loaded, manifest):
    """More cable is underground at the end of 2025 than at the end of 2019."""
    before = _underground_km(session, date(2019, 12, 31))
    after = _underground_km(session, date(2025, 12, 31))
    assert 0 < before < after
    assert before == pytest.approx(manifest["km"]["underground_initial"], abs=0.01)
    assert after == pytest.approx(manifest["km"]["underground_2025-12-31"], abs=0.01)


def test_units_parents_and_plans(session, loaded):
    """Old communes hang under the district and old province; plans name the right versions."""
    chains = session.execute(text("""
        SELECT c.valid_from, p.level, p.code, gp.level
          FROM admin_units c JOIN admin_units p ON p.id = c.parent_id
          LEFT JOIN admin_units gp ON gp.id = p.parent_id
         WHERE c.level = 'commune'""")).all()
    assert chains
    for valid_from, parent_level, _code, grandparent_level in chains:
        if valid_from == date(2025, 7, 1):
            assert (parent_level, grandparent_level) == ("province", None)
        else:
            assert (parent_level, grandparent_level) == ("district", "province")
    plans = session.execute(text("""
        SELECT p.year, u.valid_from FROM undergrounding_plans p
          JOIN admin_units u ON u.id = p.commune_id""")).all()
    assert {y for y, _ in plans} == {2024, 2025, 2026}
    for year, valid_from in plans:
        assert (valid_from == date(2025, 7, 1)) == (year == 2026)


def test_loading_twice_changes_nothing(session, loaded):
    """A second load adds and updates nothing; every table keeps its count."""
    before = _table_counts(session)
    again = load_sample(session, demo_directory())
    assert _table_counts(session) == before
    for item, counts in again.items():
        assert counts["added"] == counts["updated"] == counts["removed"] == 0, item


def test_reloading_restores_edited_rows(session, loaded):
    """A reload puts back what the files say: an edited route, a stray sharer."""
    session.execute(text("UPDATE cable_routes SET name = 'edited' WHERE code = 'VNPT-S0001'"))
    session.execute(text("""
        INSERT INTO structure_sharers (structure_id, operator_id)
        SELECT s.id, o.id FROM structures s, operators o
         WHERE s.source_fid = 'TB-C-000001' AND o.code = 'EVN'"""))
    again = load_sample(session, demo_directory())
    assert again["routes"]["updated"] == 1
    assert again["structure_sharers"]["removed"] == 1
    name = session.execute(text("SELECT name FROM cable_routes WHERE code = 'VNPT-S0001'"))
    assert name.scalar_one() != "edited"
