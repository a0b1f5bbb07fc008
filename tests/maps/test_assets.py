"""folium pages use only the vendored assets: URLs in served pages, everything inline in
standalone ones, and a loud failure for anything else."""

from __future__ import annotations

import re

import folium
import pytest
from folium.plugins import MarkerCluster

from maps.assets import VENDORED, ExternalAssetError, check_urls, render_html
from maps.pages import STATIC_DIR

TILES = "https://tile.example.org/{z}/{x}/{y}.png"


def _map() -> folium.Map:
    m = folium.Map(location=(20.45, 106.34), zoom_start=12, tiles=None, prefer_canvas=True)
    folium.TileLayer(TILES, attr="© example").add_to(m)
    MarkerCluster(name="violations").add_to(m)
    return m


def test_served_page_links_our_vendored_files_only():
    html = render_html(_map(), "url", allowed=[TILES])
    links = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html)
    assert links == [
        "/static/vendor/leaflet/leaflet.js", "/static/vendor/jquery/jquery.min.js",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet.markercluster/MarkerCluster.css",
        "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
    ]
    assert re.findall(r"https?://[^\s\"'<>()\\]+", html) == [TILES]
    for unused in ("bootstrap", "awesome", "fontawesome", "glyphicons"):
        assert unused not in html


def test_standalone_page_inlines_scripts_styles_and_images():
    html = render_html(_map(), "inline", allowed=[TILES])
    assert "/static/" not in html and "<script src=" not in html and "<link rel=\"style" not in html
    leaflet = (STATIC_DIR / VENDORED["leaflet"]).read_text("utf-8")
    assert leaflet.splitlines()[0] in html  # the library itself, inline
    assert "sourceMappingURL" not in html
    # leaflet.css's layer-control icons became data: URIs
    assert re.search(r'url\("data:image/png;base64,[A-Za-z0-9+/=]{100,}"\)', html)
    assert "url(images/" not in html


def test_rendering_twice_gives_each_mode_its_own_links():
    m = _map()
    served = render_html(m, "url", allowed=[TILES])
    standalone = render_html(m, "inline", allowed=[TILES])
    assert "/static/vendor/leaflet/leaflet.js" in served and "/static/" not in standalone
    assert render_html(m, "url", allowed=[TILES]).count("<script src=") == 3


def test_an_asset_that_is_not_vendored_is_refused():
    m = _map()
    folium.plugins.Fullscreen().add_to(m)  # wants leaflet.fullscreen from a CDN
    with pytest.raises(ExternalAssetError, match="not vendored"):
        render_html(m, "url", allowed=[TILES])


def test_awesome_marker_icons_are_refused():
    """Their assets are dropped, so a folium.Icon would silently fail in the browser."""
    m = _map()
    folium.Marker((20.45, 106.34), icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(ExternalAssetError, match="DivIcon"):
        render_html(m, "url", allowed=[TILES])


def test_any_other_outside_url_is_refused():
    m = _map()
    folium.Element('<img src="https://cdn.example.com/logo.png">').add_to(m.get_root().html)
    with pytest.raises(ExternalAssetError, match="cdn.example.com/logo.png"):
        render_html(m, "url", allowed=[TILES])


def test_tiles_are_an_outside_url_only_when_allowed():
    with pytest.raises(ExternalAssetError, match="tile.example.org"):
        render_html(_map(), "url")


def test_allowed_texts_permit_their_links():
    attribution = '<a href="https://www.openstreetmap.org/copyright">OSM</a>'
    html = f'<a href="https://www.openstreetmap.org/copyright">OSM</a> {TILES}'
    check_urls(html, [TILES, attribution])
    with pytest.raises(ExternalAssetError):
        check_urls(html + " http://evil.example/x.js", [TILES, attribution])


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        render_html(_map(), "cdn")  # type: ignore[arg-type]
