"""The progress map above its tile threshold and the field viewer zoomed out, in headless
Chromium on the demo province with no internet: both draw the network from the app's own
/tiles (every tile answered 200 or 204), paint it, and no request leaves the machine
(checked by the browser fixtures)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.live_data import isolated_segment

WAIT_MS = 30_000


@pytest.fixture(scope="module", autouse=True)
def low_tile_threshold(live_server):
    """This module's server draws a progress map from tiles above 100 segments (the demo has
    about 3,000)."""
    before = live_server.settings.map_tiles_above
    live_server.settings.map_tiles_above = 100
    yield
    live_server.settings.map_tiles_above = before


def tile_answers(page) -> list[tuple[str, int]]:
    """Record (path, status) of every /tiles answer the page gets."""
    answers: list[tuple[str, int]] = []

    def note(response) -> None:
        path = urlsplit(response.url).path
        if path.startswith("/tiles/"):
            answers.append((response.url, response.status))

    page.on("response", note)
    return answers


def painted_tile_pixels(page) -> int:
    """Non-transparent pixels on the vector-tile canvases."""
    return page.evaluate("""() => {
        let n = 0;
        for (const canvas of document.querySelectorAll('canvas.leaflet-tile')) {
            const data = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        }
        return n;
    }""")


def test_progress_map_above_the_threshold_draws_from_tiles(page, login, live_server):
    login("quantri")
    answers = tile_answers(page)
    page.goto("/maps/progress")
    page.wait_for_function("() => window.telecomGis && window.telecomGis.ready", timeout=WAIT_MS)
    state = page.evaluate("({tiles: telecomGis.tiles, segments: telecomGis.segments})")
    active = live_server.scalar("SELECT count(*) FROM cable_segments WHERE lifecycle = 'active'")
    assert state == {"tiles": True, "segments": active}
    assert page.evaluate("typeof decode") == "undefined"
    assert answers and all(status in (200, 204) for _, status in answers)
    assert any(status == 200 for _, status in answers)
    assert all("as_of=" in url for url, _ in answers)
    assert painted_tile_pixels(page) > 2000
    page.locator(".tg-legend summary").click()
    legend = page.locator(".tg-legend").inner_text()
    assert "Cáp treo chưa chỉnh trang" in legend and "ô bản đồ vector" in legend
    operators = page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    assert len(operators) == 5  # the choropleth and the four operators with cable
    page.locator(".leaflet-control-layers").hover()
    for name in operators[1:]:  # every operator off: the tiles are drawn again without them
        page.locator(".leaflet-control-layers-overlays label", has_text=name).click()
    page.wait_for_function("""() => [...document.querySelectorAll('canvas.leaflet-tile')]
        .every(t => t.classList.contains('leaflet-tile-loaded'))""", timeout=WAIT_MS)
    assert painted_tile_pixels(page) == 0


def test_zoomed_in_a_tile_tooltip_tells_the_segment(page, login, live_server):
    login("quantri")
    page.goto("/maps/progress")
    page.wait_for_function("() => window.telecomGis && window.telecomGis.ready", timeout=WAIT_MS)
    segment_id, lon, lat = isolated_segment(live_server)
    page.evaluate("([lat, lon]) => telecomGisMap.setView([lat, lon], 18, {animate: false})",
                  [lat, lon])
    page.wait_for_function("""() => {
        const tiles = document.querySelectorAll('canvas.leaflet-tile');
        return tiles.length && [...tiles].every(t => t.classList.contains('leaflet-tile-loaded'));
    }""", timeout=WAIT_MS)
    x, y = page.evaluate("""([lat, lon]) => {
        const p = telecomGisMap.latLngToContainerPoint([lat, lon]);
        const box = telecomGisMap.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", [lat, lon])
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    tip = page.locator(".tg-tip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    route = live_server.scalar("SELECT r.code FROM cable_segments s JOIN cable_routes r"
                               " ON r.id = s.route_id WHERE s.id = :id", id=segment_id)
    assert route in tip.inner_text() and f"#{segment_id}" in tip.inner_text()


def open_viewer(page, login) -> None:
    """Sign in as an inspector, open /viewer and wait for its first view."""
    login("thanhtra.an")
    page.goto("/viewer")
    page.wait_for_function("() => window.telecomViewer && telecomViewer.ready", timeout=WAIT_MS)


def viewer_view(page, lat: float, lon: float, zoom: int, until: str = "() => telecomViewer.ready"):
    """Move the viewer's map and wait for ``until`` (the view drawn)."""
    page.evaluate("""([lat, lon, zoom]) => {
        telecomViewer.ready = false;
        telecomViewer.map.leaflet.setView([lat, lon], zoom, {animate: false});
    }""", [lat, lon, zoom])
    page.wait_for_function(until, timeout=WAIT_MS)


def test_viewer_zoomed_out_draws_tiles_and_zoomed_in_segments(page, login, live_server):
    """Zoomed out the viewer draws the network from /tiles (with the inspector's bearer token,
    as no cookie is sent), by placement; at street zoom it loads the view's segments as
    GeoJSON again, which can be tapped."""
    answers = tile_answers(page)
    open_viewer(page, login)
    segment_id, lon, lat = isolated_segment(live_server)
    viewer_view(page, lat, lon, 13, until="() => telecomViewer.ready && telecomViewer.tiles")
    assert page.locator("#status").get_attribute("data-state") == "tiles"
    assert answers and all(status in (200, 204) for _, status in answers)
    assert any(status == 200 for _, status in answers)
    assert painted_tile_pixels(page) > 500
    viewer_view(page, lat, lon, 18, until="() => telecomViewer.ready && !telecomViewer.tiles")
    assert page.evaluate("id => telecomViewer.map.feature(id) !== null", segment_id)
    assert page.locator("canvas.leaflet-tile").count() == 0


def test_viewer_zoomed_out_offline_draws_the_saved_segments(page, login, live_server,
                                                            browser_context):
    """With no network the tiles cannot come: zoomed out, the viewer draws the segments kept
    on the device instead and says so."""
    open_viewer(page, login)
    segment_id, lon, lat = isolated_segment(live_server)
    viewer_view(page, lat, lon, 18)
    browser_context.set_offline(True)
    page.evaluate("([lat, lon]) => telecomViewer.map.leaflet.setView([lat, lon], 13)",
                  [lat, lon])
    page.wait_for_function("() => document.getElementById('status').dataset.state === 'cached'",
                           timeout=WAIT_MS)
    assert page.evaluate("id => telecomViewer.map.feature(id) !== null", segment_id)
    browser_context.set_offline(False)
