"""Browser fixtures: the app served by uvicorn on loopback against a database holding the demo
province, and Debian's Chromium driven headless by Playwright, with no request allowed to leave
the machine.

Isolation: a live server cannot share a test's rolled-back transaction, so each test module
gets its own database, copied (``CREATE DATABASE ... TEMPLATE``) from one loaded with the demo
once per run, and dropped after the module. Tests that write (a visit from the viewer) count
rows by their own keys, never assume an empty table.

Every page request is checked: a request to any host but the live server is aborted and
recorded, and the test fails at teardown unless it went to the base-map tile host (tiles are
allowed to fail: the maps must still draw the network without them). Uncaught page errors fail
the test too.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.deps import SESSION_COOKIE
from api.main import create_app
from gis.auth import issue_token
from gis.db import make_engine
from gis.migrate import upgrade
from gis.settings import Settings
from tests.conftest import TEMPLATE

CHROMIUM = os.environ.get("TELECOM_GIS_CHROMIUM", "/usr/bin/chromium")
#: Flags for Chromium as root on a machine with no route to the internet: without the
#: background-networking flags it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Base-map tiles the live server is configured with: unreachable here, as in the field.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_HOST = urlsplit(TILE_URL).hostname
PHONE = {"width": 390, "height": 844}

def pytest_collection_modifyitems(items):
    """Every test in tests/browser is a slow browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def _admin_engine(url: str) -> Engine:
    return make_engine(make_url(url).set(database="postgres").render_as_string(False),
                       isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def demo_database_url(database_url: str) -> Iterator[str]:
    """A database holding the demo province, committed; used only as a template."""
    from gis.sample import demo_directory
    from gis.sample.load import load_sample

    name = f"telecom_gis_demo_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(database_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"'))
    url = make_url(database_url).set(database=name).render_as_string(False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as session, session.begin():
            load_sample(session, demo_directory())
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def live_database_url(demo_database_url: str) -> Iterator[str]:
    """This module's own copy of the demo database, dropped after the module."""
    name = f"telecom_gis_live_{uuid.uuid4().hex[:10]}"
    template = make_url(demo_database_url).database
    admin = _admin_engine(demo_database_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(demo_database_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class LiveServer:
    """The app on loopback: ``url`` (no trailing slash), its settings, and an engine on its
    database for a test's own checks (commits for real)."""

    url: str
    settings: Settings
    engine: Engine

    def token(self, username: str, days: int = 1) -> str:
        """Issue (and commit) a token for the demo user ``username``."""
        with Session(self.engine) as session, session.begin():
            plaintext, _ = issue_token(session, username, days, label="browser test")
        return plaintext

    def scalar(self, sql: str, **params):
        """One value from the live database."""
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def live_server(live_database_url: str, tmp_path_factory) -> Iterator[LiveServer]:
    """uvicorn serving ``create_app`` on 127.0.0.1 (a free port) in a background thread."""
    settings = Settings(database_url=live_database_url,
                        photo_dir=tmp_path_factory.mktemp("photos"), tile_url=TILE_URL)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live server did not start", pytrace=False)
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    engine = make_engine(live_database_url)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


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
