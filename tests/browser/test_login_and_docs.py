"""The login page opens a page session; the API docs load with no internet."""

from __future__ import annotations

import json

import pytest


def test_login_page_signs_in_and_the_cookie_authenticates_reads(page, live_server):
    token = live_server.token("thanhtra.an")
    page.goto("/login?next=/me")
    assert page.locator("button[type=submit]").inner_text() == "Đăng nhập"
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me")
    me = json.loads(page.evaluate("document.body.innerText"))
    assert me["username"] == "thanhtra.an"
    assert page.evaluate("localStorage.getItem('telecom-gis-token')") == token
    user = json.loads(page.evaluate("localStorage.getItem('telecom-gis-user')"))
    assert user == {"username": "thanhtra.an", "role": "inspector"}
    cookie = next(c for c in page.context.cookies() if c["name"] == "telecom_gis_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_login_page_shows_why_a_token_is_refused_and_switches_language(page):
    page.goto("/login")
    page.click("#lang-toggle")
    assert page.locator("button[type=submit]").inner_text() == "Sign in"
    page.fill("#token", "tgis_not-a-token")
    page.click("button[type=submit]")
    error = page.locator("#login-error")
    error.wait_for(state="visible")
    assert "not known" in error.inner_text()
    assert page.url.endswith("/login")


def test_api_docs_render_from_the_apps_own_assets(page):
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "telecom-gis" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 40


@pytest.mark.parametrize("next_", [
    "/%5Cexample.org/phish",  # "/\\host": browsers read a host
    "/%09/example.org/phish",  # "/<tab>/host": the URL parser drops the tab, "//host" is left
    "/%0A/example.org/phish",  # the same with a newline
    "%2F%2Fexample.org/phish",
    "https://example.org/phish",
    "javascript:alert(document.domain)",
])
def test_login_never_sends_the_browser_to_another_site(page, live_server, next_):
    token = live_server.token("quyhoach.hoa")
    page.goto(f"/login?next={next_}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Cán bộ quy hoạch" in page.locator(".who").inner_text()


def test_login_follows_a_path_of_this_site_with_its_query(page, live_server):
    token = live_server.token("quantri")
    page.goto("/login?next=%2Fmaps%2Fprogress%3Fas_of%3D2024-12-31%26lang%3Den")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/maps/progress?as_of=2024-12-31&lang=en")
