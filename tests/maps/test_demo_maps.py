"""The maps of the demo province on two dates (before and after the 2025 reorganisation),
checked against the other ways the system computes the same figures."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import text

from gis.choices import PlacementClass, ViolationState
from gis.compliance.rules import (
    ViolationFacts,
    is_overdue,
    local_date,
    local_today,
    violation_state,
)
from gis.compliance.state import compliance_summary
from gis.history import network_figures_as_of
from gis.queries.map_data import MapFilter, map_communes, map_segments, open_violations
from gis.queries.map_data import resolve_filter as resolve
from gis.settings import Settings
from maps.compliance_map import build_compliance_map
from maps.pages import STATIC_DIR
from maps.progress import build_progress_map

URL = re.compile(r"https?://[^\s\"'<>()\\]+")
DATES = [date(2024, 12, 31), None]  # the former wards; today (the new communes)
SETTINGS = Settings(tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
                    tile_attribution="© tiles.example.org")


@pytest.mark.parametrize("as_of", DATES)
def test_segments_and_commune_figures_match_the_history_figures(demo_session, as_of):
    """Segments, km and km underground per commune are those of
    gis.history.network_figures_as_of with communes as of the date."""
    scope = resolve(demo_session, MapFilter(as_of=as_of))
    segments = map_segments(demo_session, scope)
    communes = {c.code: c for c in map_communes(demo_session, scope, segments)}
    [total] = network_figures_as_of(demo_session, scope.as_of, group_by="total")
    assert len(segments) == total.segments > 2000
    assert sum(segments.lengths_m) / 1000 == pytest.approx(total.total_km, abs=0.01)
    underground = sum(m for m, c in zip(segments.lengths_m, segments.classes, strict=True)
                      if c == PlacementClass.UNDERGROUND)
    assert underground / 1000 == pytest.approx(total.underground_km, abs=0.01)
    expected = network_figures_as_of(demo_session, scope.as_of, group_by="commune",
                                     communes="as_of")
    assert expected
    for row in expected:
        assert communes[row.commune_code].total_km == pytest.approx(row.total_km, abs=1e-3)
        assert communes[row.commune_code].underground_km == pytest.approx(
            row.underground_km, abs=1e-3)
    codes = {c[:2] for c in communes}
    assert codes == ({"97"} if as_of else {"98"})


def test_plans_of_the_year_sit_beside_their_commune(demo_session):
    scope = resolve(demo_session, MapFilter(as_of=date(2024, 12, 31)))
    communes = map_communes(demo_session, scope, map_segments(demo_session, scope))
    planned = {c.code: [p.target_km for p in c.plans] for c in communes if c.plans}
    stored = dict(demo_session.execute(text("""
        SELECT u.code, array_agg(p.target_km::float8) FROM undergrounding_plans p
          JOIN admin_units u ON u.id = p.commune_id WHERE p.year = 2024 GROUP BY u.code""")).all())
    assert planned == stored and len(planned) == 3


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), None])
def test_open_violations_follow_the_rules(demo_session, as_of):
    """The violations on the map are those the Python rules call open or remediation reported
    on the date, with the same overdue flag."""
    scope = resolve(demo_session, MapFilter(as_of=as_of))
    found = {v.id: v for v in open_violations(demo_session, scope)}
    expected = {}
    for row in demo_session.execute(text(
            "SELECT id, found_at, due_on, remediation_reported_at, closed_at, state"
            " FROM violations")):
        facts = ViolationFacts(
            found_on=local_date(row.found_at), due_on=row.due_on,
            reported_on=local_date(row.remediation_reported_at)
            if row.remediation_reported_at else None,
            resolved_on=local_date(row.closed_at) if row.closed_at else None,
            withdrawn=row.state == ViolationState.WITHDRAWN)
        state = violation_state(facts, scope.as_of)
        if state in (ViolationState.OPEN, ViolationState.REMEDIATION_REPORTED):
            expected[row.id] = (state.value, is_overdue(facts, scope.as_of))
    assert len(expected) > 10
    assert {i: (v.state, v.overdue) for i, v in found.items()} == expected
    assert any(overdue for _, overdue in expected.values())
    one = next(iter(found.values()))
    assert 106.2 < one.lon < 106.5 and 20.3 < one.lat < 20.6 and one.item.startswith("C")


def test_compliance_map_counts_match_the_compliance_summary(demo_session):
    as_of = date(2025, 10, 31)
    page = build_compliance_map(demo_session, MapFilter(as_of=as_of), settings=SETTINGS)
    summary = compliance_summary(demo_session, as_of, SETTINGS.stale_after_days)
    expected = {row.state: row.segments for row in summary}
    drawn = {state: v["segments"] for state, v in page.figures["states"].items() if v["segments"]}
    assert drawn == expected
    scope = resolve(demo_session, MapFilter(as_of=as_of))
    violations = open_violations(demo_session, scope)
    assert page.figures["violations"] == len(violations)
    assert page.figures["overdue"] == sum(v.overdue for v in violations) > 0


def test_operator_filter_keeps_one_operators_network(demo_session):
    page = build_progress_map(demo_session, MapFilter(operators=("VNPT",)), settings=SETTINGS)
    [vnpt] = network_figures_as_of(demo_session, local_today(), group_by="operator",
                                   operator_codes=["VNPT"])
    assert page.figures["segments"] == vnpt.segments
    html = page.render("url")
    layer_name = json.dumps("VNPT Thái Bình (1.023 đoạn)")  # as folium writes it
    assert vnpt.segments == 1023 and layer_name in html
    assert "VIETTEL" not in html.upper().replace("VIETTEL THÁI BÌNH", "")


@pytest.mark.parametrize("build", [build_progress_map, build_compliance_map])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_pages_load_nothing_from_outside(demo_session, build, lang):
    """Served pages link /static/vendor files that exist; the only outside URL is the tile
    template. Standalone pages have no /static link at all and carry Leaflet inline."""
    page = build(demo_session, MapFilter(as_of=date(2024, 12, 31)), settings=SETTINGS,
                 lang=lang)
    served = page.render("url")
    urls = set(URL.findall(served))
    assert urls == {SETTINGS.tile_url}
    links = re.findall(r'(?:src|href)="(/static/[^"]+)"', served)
    assert "/static/vendor/leaflet/leaflet.js" in links
    assert all(link.startswith("/static/vendor/") for link in links)
    standalone = page.render("inline")
    assert "/static/" not in standalone
    vendored = {url for path in (STATIC_DIR / "vendor").rglob("*.*s") if path.is_file()
                for url in URL.findall(path.read_text("utf-8", errors="replace"))}
    assert set(URL.findall(standalone)) - vendored == {SETTINGS.tile_url}
    assert "L.polyline" in standalone and 'url("data:image/png;base64,' in standalone
    assert ("Đến hết ngày 31/12/2024" if lang == "vi" else "As of the end of 2024-12-31") in served
