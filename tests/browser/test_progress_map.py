"""The progress and compliance maps in headless Chromium on the demo province, with no
internet: Leaflet draws exactly the segments the database holds for the filters, the commune
outlines draw although every base-map tile fails, the legend and the layer control show, the
choropleth switches on, a tooltip tells a segment's route, and no request leaves the machine
(checked by the browser fixtures)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from gis.history import network_figures_as_of
from tests.browser.conftest import TILE_HOST
from tests.browser.live_data import isolated_segment

WAIT_MS = 30_000
USER = "quantri"


def open_map(page, path: str) -> dict:
    """Go to ``path`` and wait until the map says it has drawn; its counters."""
    page.goto(path)
    page.wait_for_function("() => window.telecomGis && window.telecomGis.ready", timeout=WAIT_MS)
    return page.evaluate("({drawn: telecomGis.drawn, segments: telecomGis.segments,"
                         " communes: telecomGis.communes, violations: telecomGis.violations,"
                         " overdue: telecomGis.overdue})")


def painted_pixels(page) -> int:
    """Non-transparent pixels on the map's canvas (what Leaflet actually painted)."""
    return page.evaluate("""() => {
        const canvas = document.querySelector('.leaflet-overlay-pane canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
    }""")


def figures(live_server, as_of: date, **kwargs):
    with Session(live_server.engine) as session:
        return network_figures_as_of(session, as_of, **kwargs)


def test_progress_map_draws_every_segment_without_tiles(page, login, live_server):
    login(USER)
    counts = open_map(page, "/maps/progress")
    today = live_server.scalar("SELECT current_date")
    [total] = figures(live_server, today, group_by="total")
    communes = live_server.scalar(
        "SELECT count(*) FROM admin_units WHERE level = 'commune' AND valid_from <= current_date"
        " AND (valid_to IS NULL OR valid_to > current_date)")
    assert counts["drawn"] == counts["segments"] == total.segments > 2000
    assert counts["communes"] == communes > 0
    assert painted_pixels(page) > 5000
    tiles = [u for u in page.context.traffic.external if urlsplit(u).hostname == TILE_HOST]
    assert tiles, "the page should have tried (and failed) to load base-map tiles"
    legend = page.locator(".tg-legend")
    assert legend.is_visible()
    assert "Cáp ngầm" not in legend.inner_text()  # folded on a phone's screen
    legend.locator("summary").click()
    text = legend.inner_text()
    for words in ("Cáp treo chưa chỉnh trang", "Cáp treo đã chỉnh trang", "Cáp ngầm",
                  "Ranh giới xã/phường", "Không có bản đồ nền"):
        assert words in text
    assert f"{total.segments:,}".replace(",", ".") not in text  # per class, not the total
    operators = page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    assert len(operators) == 5  # the choropleth and the four operators with cable
    assert any("VNPT Thái Bình" in name for name in operators)


def test_filters_draw_exactly_the_database_segments(page, login, live_server):
    login(USER)
    counts = open_map(page, "/maps/progress?as_of=2024-12-31&operator=VNPT&operator=FPT")
    expected = figures(live_server, date(2024, 12, 31), group_by="operator",
                       operator_codes=["VNPT", "FPT"])
    assert counts["drawn"] == sum(row.segments for row in expected) > 500
    former_wards = live_server.scalar(
        "SELECT count(*) FROM admin_units WHERE level = 'commune' AND code LIKE '97%'")
    assert counts["communes"] == former_wards
    operators = page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    assert len(operators) == 3


def test_choropleth_switches_on_with_its_legend_and_labels(page, login, live_server):
    login(USER)
    counts = open_map(page, "/maps/progress?lang=en")
    page.locator(".tg-legend summary").click()
    page.locator(".tg-legend-section", has_text="Cable placement").wait_for(state="visible")
    share = page.locator(".tg-legend-section", has_text="Share of cable length underground")
    assert share.is_hidden()
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label",
                 has_text="Underground share by commune").click()
    share.wait_for(state="visible")
    assert "Plans " in share.inner_text()
    assert page.locator(".tg-commune-label").count() == counts["communes"]


def test_a_tooltip_tells_the_segment_under_the_pointer(page, login, live_server):
    login(USER)
    open_map(page, "/maps/progress")
    segment_id, lon, lat = isolated_segment(live_server)
    x, y = page.evaluate("""([lat, lon]) => {
        telecomGisMap.setView([lat, lon], 18, {animate: false});
        const p = telecomGisMap.latLngToContainerPoint([lat, lon]);
        const box = telecomGisMap.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", [lat, lon])
    page.mouse.move(x, y)
    tip = page.locator(".tg-tip")
    tip.wait_for(state="visible")
    route = live_server.scalar("SELECT r.code FROM cable_segments s JOIN cable_routes r"
                               " ON r.id = s.route_id WHERE s.id = :id", id=segment_id)
    text = tip.inner_text()
    assert route in text and f"#{segment_id}" in text and "Lịch sử" in text


def test_compliance_map_clusters_violations_and_shows_the_overdue_ones(page, login,
                                                                       live_server):
    login(USER)
    counts = open_map(page, "/maps/compliance")
    [total] = figures(live_server, live_server.scalar("SELECT current_date"), group_by="total")
    assert counts["drawn"] == total.segments
    unresolved = live_server.scalar(
        "SELECT count(*) FROM violations WHERE state IN ('open', 'remediation_reported')")
    overdue = live_server.scalar(
        "SELECT count(*) FROM violations WHERE state IN ('open', 'remediation_reported')"
        " AND due_on < current_date")
    assert counts["violations"] + counts["overdue"] == unresolved
    assert counts["overdue"] == overdue > 0
    assert page.locator(".tg-violation-overdue").count() == overdue
    assert page.locator(".marker-cluster").count() + page.locator(
        ".tg-violation:not(.tg-violation-overdue)").count() > 0
    page.locator(".tg-legend summary").click()
    legend = page.locator(".tg-legend").inner_text()
    assert "Vi phạm quá hạn khắc phục" in legend and str(overdue) in legend


def test_standalone_file_draws_with_nothing_but_itself(page, live_server):
    """The file of ``telecom-gis map progress`` draws with no server at all (loaded as the
    page's content, it can fetch nothing but base-map tiles)."""
    from gis.queries.map_data import MapFilter
    from maps.progress import build_progress_map

    with Session(live_server.engine) as session:
        standalone = build_progress_map(session, MapFilter(as_of=date(2024, 12, 31)),
                                        settings=live_server.settings).render("inline")
    page.set_content(standalone)
    page.wait_for_function("() => window.telecomGis && window.telecomGis.ready", timeout=WAIT_MS)
    [total] = figures(live_server, date(2024, 12, 31), group_by="total")
    assert page.evaluate("telecomGis.drawn") == total.segments
    assert painted_pixels(page) > 5000
    assert all(urlsplit(u).hostname == TILE_HOST for u in page.context.traffic.external)
