"""Live-server fixtures shared by the test packages that need a real HTTP server (the browser
tests, GDAL and OWSLib against the OGC API): the app served by uvicorn on loopback against a
database holding the demo province. Registered in tests/conftest.py (``pytest_plugins``).

Isolation: a live server cannot share a test's rolled-back transaction, so each test module
gets its own database, copied (``CREATE DATABASE ... TEMPLATE``) from one loaded with the demo
once per run, and dropped after the module. Tests that write count rows by their own keys,
never assume an empty table.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.main import create_app
from gis.auth import issue_token
from gis.db import make_engine
from gis.migrate import upgrade
from gis.settings import Settings
from tests.conftest import TEMPLATE

#: Base-map tiles the live server is configured with: unreachable here, as in the field.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_HOST = urlsplit(TILE_URL).hostname


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
        # A copy does not inherit its template's ALTER DATABASE settings (migration 0003's
        # time zone): set it again, or "today" is UTC's date on the live server.
        conn.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Ho_Chi_Minh'"))
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
            plaintext, _ = issue_token(session, username, days, label="live test")
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
