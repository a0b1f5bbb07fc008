"""Browser fixtures: Debian's Chromium driven headless by Playwright against the live server
of :mod:`tests.live` (uvicorn on loopback, a per-module copy of the demo database), with no
request allowed to leave the machine.

Every page request is checked: a request to any host but the live server is aborted and
recorded, and the test fails at teardown unless it went to the base-map tile host (tiles are
allowed to fail: the maps must still draw the network without them). Uncaught page errors fail
the test too, and so does anything the pages' Content-Security-Policy refuses (test code waits
with function predicates, ``"() => ..."``: a bare expression would need ``eval``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.deps import SESSION_COOKIE
from tests.live import TILE_HOST, LiveServer

CHROMIUM = os.environ.get("TELECOM_GIS_CHROMIUM", "/usr/bin/chromium")
#: Flags for Chromium as root on a machine with no route to the internet: without the
#: background-networking flags it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}

def pytest_collection_modifyitems(items):
    """Every test in tests/browser is a slow browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian Chromium (never a browser downloaded by a test tool)."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@dataclass
class Traffic:
    """What the page asked for beyond the live server, and the errors it threw."""

    external: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def non_tile_external(self) -> list[str]:
        return [u for u in self.external if urlsplit(u).hostname != TILE_HOST]


def _guard(context, live: LiveServer, traffic: Traffic) -> None:
    live_host = urlsplit(live.url).netloc

    def route(r) -> None:
        url = r.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == live_host:
            r.continue_()
        else:
            traffic.external.append(url)
            r.abort("internetdisconnected")

    context.route("**/*", route)


@pytest.fixture
def browser_context(browser, live_server: LiveServer) -> Iterator:
    """A fresh phone-sized browser context on the live server (no cookies, no storage);
    requests to other hosts are aborted and recorded (see :class:`Traffic`)."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, has_touch=True,
                                  locale="vi-VN", service_workers="allow")
    traffic = Traffic()
    _guard(context, live_server, traffic)
    context.traffic = traffic
    yield context
    context.close()
    assert not traffic.non_tile_external(), (
        f"requests left the machine: {traffic.non_tile_external()}")
    assert not traffic.page_errors, f"uncaught errors in the page: {traffic.page_errors}"
    refused = [e for e in traffic.console_errors if "Content Security Policy" in e]
    assert not refused, f"the pages' Content-Security-Policy refused: {refused}"


@pytest.fixture
def page(browser_context) -> Iterator:
    """A page in :func:`browser_context`; uncaught errors are recorded."""
    page = browser_context.new_page()
    traffic: Traffic = browser_context.traffic
    page.on("pageerror", lambda exc: traffic.page_errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and traffic.console_errors.append(
        msg.text))
    yield page


@pytest.fixture
def login(browser_context, live_server: LiveServer):
    """``login(username)``: sign the browser in as a demo user, as the login page would (the
    session cookie; the token and whose it is in localStorage, for the viewer's bearer header
    and its offline queue); returns the token. Demo users: quantri (admin), thanhtra.an
    (inspector), quyhoach.hoa (planner), vnpt.baocao (operator)."""

    def sign_in(username: str) -> str:
        token = live_server.token(username)
        role = live_server.scalar("SELECT role FROM users WHERE username = :u", u=username)
        user = json.dumps({"username": username, "role": role})
        browser_context.add_cookies([{
            "name": SESSION_COOKIE, "value": token, "url": live_server.url,
            "httpOnly": True, "sameSite": "Strict"}])
        browser_context.add_init_script(
            f"window.localStorage.setItem('telecom-gis-token', {json.dumps(token)});"
            f"window.localStorage.setItem('telecom-gis-user', {json.dumps(user)});")
        return token

    return sign_in
