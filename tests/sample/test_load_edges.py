"""Loading edge cases: a missing directory, the province mode, and a plan-cache trap."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gis.sample import demo_directory
from gis.sample.load import SampleDataError, load_sample, loaded_figures


def test_missing_directory_is_a_clear_error(session, tmp_path):
    """No directory, or no segments in it: SampleDataError naming what is missing."""
    with pytest.raises(SampleDataError, match="does not exist"):
        load_sample(session, tmp_path / "nowhere")
    (tmp_path / "operators.csv").write_text("code,name,kind\n", encoding="utf-8")
    with pytest.raises(SampleDataError, match="segments.geojson"):
        load_sample(session, tmp_path)


@pytest.mark.slow
def test_large_mode_loads(session, tmp_path):
    """A province-mode GeoPackage set goes through the importer and the rest of the loader."""
    from gis.sample.generate import generate_sample

    result = generate_sample(tmp_path, segments=20_000, area="province", fmt="gpkg")
    counts = load_sample(session, tmp_path)
    assert counts["segments"]["added"] == 20_000
    figures = loaded_figures(session, result.source)
    assert figures["segments"] == 20_000
    assert figures["with_commune"] >= 0.95 * 20_000
    assert figures["with_structures"] == 20_000


def test_load_survives_a_cached_nested_loop_plan(session):
    """Statistics saying "0 rows in N pages" (ANALYZE after rolled-back loads, as autovacuum
    does) plus a first, 0-row run of the history trigger cache a nested-loop plan that made
    loading take minutes. Migration 0002 plans it afresh; this fails on the timeout if not."""
    savepoint = session.begin_nested()
    load_sample(session, demo_directory())
    savepoint.rollback()  # dead rows stay in the pages
    session.execute(text("ANALYZE cable_segments, segment_states"))
    session.execute(text("""
        INSERT INTO segment_states (segment_id, effective_date, placement, placement_kind,
                                    tidied, lifecycle, source)
        SELECT id, current_date, placement, placement_kind, tidied, lifecycle, 'x'
          FROM cable_segments WHERE false"""))
    session.execute(text("SET LOCAL statement_timeout = '20s'"))
    counts = load_sample(session, demo_directory())
    assert counts["segments"]["added"] == 3000
    # Leave statistics that count rows (not the trap) for the tests that follow.
    session.execute(text("ANALYZE cable_segments, segment_states"))
