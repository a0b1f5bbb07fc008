"""Every route answers its own path: no route is shadowed by one matched before it (the
routers are ordered for speed, busiest first, so this is what keeps that order safe)."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Match

from api.main import create_app
from gis.settings import Settings


def _leaf_routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            yield from _leaf_routes(route.original_router.routes)
        elif getattr(route, "methods", None):
            yield route


def _answering(app, path: str, method: str):
    """The route that Starlette's matching (first full match, in order) gives the request."""
    scope = {"type": "http", "path": path, "method": method, "root_path": "",
             "query_string": b"", "headers": []}
    for route in _leaf_routes(app.router.routes):
        if route.matches(scope)[0] == Match.FULL:
            return route
    return None


def _requests(app):
    for route in _leaf_routes(app.router.routes):
        path = re.sub(r"\{[^}]+\}", "7", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            yield route, path, method


def test_no_route_is_shadowed():
    app = create_app(Settings(database_url="postgresql+psycopg://u:p@localhost/unused"))
    requests = list(_requests(app))
    assert len(requests) > 60
    for route, path, method in requests:
        found = _answering(app, path, method)
        assert found is route, (f"{method} {path} is answered by {found.path if found else None}"
                                f", not {route.path}")


@pytest.mark.parametrize("path, method, endpoint", [
    ("/tiles/14/13029/7242.pbf", "GET", "segment_tile_route"),
    ("/segments/nearest", "GET", "nearest_segments"),
    ("/inspections", "POST", "create_inspection"),
    ("/ogc/collections/segments/items", "GET", "list_items"),
])
def test_the_busiest_paths_are_matched_first(path, method, endpoint):
    """Tiles, OGC items, nearest and visits are found among the first routers tried."""
    app = create_app(Settings(database_url="postgresql+psycopg://u:p@localhost/unused"))
    leaves = list(_leaf_routes(app.router.routes))
    found = _answering(app, path, method)
    assert found is not None and found.name == endpoint
    assert leaves.index(found) < 40
