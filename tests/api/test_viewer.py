"""GET /viewer (the field inspectors' page) and its service worker: session or login redirect,
only local assets, the vocabulary and tiles from one place, and a worker that may control
/viewer and lists a shell the app really serves."""

from __future__ import annotations

import json
import re

from api.deps import SESSION_COOKIE
from gis.choices import LABELS, ComplianceState, ItemResult, PlacementClass
from maps.viewer_page import SCRIPTS, STYLES, shell_urls, shell_version
from tests.factories import bearer, make_user


def page_data(html: str) -> dict:
    match = re.search(r'<script id="viewer-data" type="application/json">(.*?)</script>', html,
                      re.S)
    assert match, "the page carries no data"
    return json.loads(match.group(1))


def test_viewer_without_a_session_goes_to_the_login_page(client):
    response = client.get("/viewer", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/viewer"


def test_viewer_with_the_page_cookie_loads_only_local_assets(client, session):
    _, token = make_user(session, "inspector", username="thanh.tra")
    client.cookies.set(SESSION_COOKIE, token)
    response = client.get("/viewer")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # Every script and style sheet is the app's own, in load order.
    version = shell_version()
    srcs = re.findall(r'<script src="([^"]+)"', html)
    assert srcs == [f"/static/{p}?v={version}" for p in SCRIPTS]
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert hrefs == ["/static/pages/common.css", *(f"/static/{p}?v={version}" for p in STYLES)]
    assert re.findall(r'(?:src|href)="(https?:[^"]+)"', html) == []
    for url in (*srcs, *hrefs):
        assert client.get(url).status_code == 200, url
    data = page_data(html)
    assert data["user"] == {"username": "thanh.tra", "role": "inspector"}
    assert 'lang="vi"' in html and "Vị trí" in html


def test_page_data_holds_tiles_and_the_vocabulary_of_gis_choices(client, session, settings):
    _, token = make_user(session, "planner", username="quy.hoach")
    data = page_data(client.get("/viewer", headers=bearer(token)).text)
    assert data["tile_url"] == settings.tile_url
    assert data["tile_attribution"] == settings.tile_attribution
    assert data["photo_max_bytes"] == settings.photo_max_bytes
    vocabulary = data["vocabulary"]
    assert vocabulary["compliance"] == [
        {"value": state.value, "vi": LABELS[state].vi, "en": LABELS[state].en,
         "colour": LABELS[state].colour} for state in ComplianceState]
    assert [e["value"] for e in vocabulary["result"]] == [r.value for r in ItemResult]
    assert [e["value"] for e in vocabulary["placement_class"]] == [
        c.value for c in PlacementClass]
    assert data["service_worker"] == "/viewer/sw.js" and data["scope"] == "/viewer"


def test_empty_tile_url_means_no_base_map(app, client, session):
    app.state.settings = app.state.settings.model_copy(update={"tile_url": ""})
    _, token = make_user(session, "inspector", username="thanh.tra")
    assert page_data(client.get("/viewer", headers=bearer(token)).text)["tile_url"] == ""


def test_service_worker_may_control_the_viewer_and_caches_a_served_shell(client, session):
    response = client.get("/viewer/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/viewer"
    assert response.headers["cache-control"] == "no-cache"
    source = response.text
    shell = json.loads(re.search(r"^const SHELL = (.*);$", source, re.M).group(1))
    assert shell == shell_urls()
    assert shell[0] == "/viewer"
    assert f'const VERSION = "{shell_version()}";' in source
    assert "self.addEventListener(\"fetch\"" in source
    _, token = make_user(session, "inspector", username="thanh.tra")
    for url in shell:
        assert client.get(url, headers=bearer(token)).status_code == 200, url
    # Everything the page loads is in the shell, so it opens offline.
    html = client.get("/viewer", headers=bearer(token)).text
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert url in shell, url
