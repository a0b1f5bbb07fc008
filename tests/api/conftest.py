"""API fixtures: the app on the test database, each request inside the test's transaction.

``client`` routes every request's session into the test's rolled-back transaction (each
request is a savepoint), so API tests are isolated like the others. ``committed_client`` is for
the few tests that need real commits (concurrency): it talks to the database for real and
empties the data tables afterwards (TRUNCATE, which append-only triggers do not block).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.deps import get_read_session, get_session
from api.main import create_app
from gis.settings import Settings

#: (method, route path) of every successful request the API tests made through the fixtures.
EXERCISED: set[tuple[str, str]] = set()


class RouteRecorder:
    """ASGI wrapper noting which route answered a request with success (2xx); FastAPI puts the
    route in the scope. Error answers do not count: each route needs a test that uses it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        status = 0

        async def noting_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, noting_send)
        route = scope.get("route")
        if scope["type"] == "http" and route is not None and 200 <= status < 300:
            EXERCISED.add((scope["method"], re.sub(r":\w+}", "}", route.path)))


def all_routes(application) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, from its OpenAPI document."""
    return {(method.upper(), path) for path, operations in application.openapi()["paths"].items()
            for method in operations}


#: Tables emptied after a committed test (the checklist catalogue and geography stay).
DATA_TABLES = (
    "audit_log", "placement_reports", "penalty_violations", "penalty_decisions", "violations",
    "photos", "inspection_results", "inspections", "campaign_inspectors", "campaign_operators",
    "campaign_communes", "campaigns", "api_tokens", "users", "plan_routes",
    "undergrounding_plans", "segment_states", "cable_segments", "structure_sharers",
    "structures", "cable_routes", "import_runs", "operators",
)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Settings of the app under test; photos go to a per-test directory."""
    return Settings(database_url=database_url, photo_dir=tmp_path / "photos")


@pytest.fixture
def app(settings, connection):
    """The app, with every request's session joined to the test's transaction."""
    application = create_app(settings)

    def session_in_test_transaction() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="create_savepoint",
                     expire_on_commit=False) as session:
            try:
                with session.begin():
                    yield session
            finally:
                # SET LOCAL settings outlive the savepoint: reset who is acting.
                connection.execute(text("RESET ROLE"))
                connection.execute(text(
                    "SELECT set_config('telecom_gis.operator_scope', '', true),"
                    " set_config('telecom_gis.actor', '', true)"))

    application.dependency_overrides[get_session] = session_in_test_transaction
    application.dependency_overrides[get_read_session] = session_in_test_transaction
    application.add_middleware(RouteRecorder)
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """HTTP client for ``app`` (no auth header; add one with ``tests.factories.bearer``)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def committed_engine(engine):
    """The test database for tests that must commit; emptied afterwards."""
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def committed_client(settings, committed_engine) -> Iterator[TestClient]:
    """HTTP client on an app that commits for real (use with ``committed_engine`` data)."""
    application = create_app(settings)
    application.add_middleware(RouteRecorder)
    with TestClient(application, raise_server_exceptions=False) as test_client:
        yield test_client
