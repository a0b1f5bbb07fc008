"""SQL and CQL injection attempts in every filter: every query parameter of every GET route
(found in the app's OpenAPI document, so a new filter is covered the day it is added), the
path parameters that are codes or names, the text fields of the JSON bodies that are looked up
(operator, route and commune codes, user names), the OGC ``filter`` (CQL2), and the importer's
options and attribute values.

Each attempt is refused with a 4xx naming the parameter, or answered as a plain value that
matches nothing (never everything, never an error of the database), and the database is
exactly as it was."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.bad_inputs.conftest import assert_problem
from tests.ogc.test_filter import INJECTIONS as CQL_INJECTIONS

SQL_INJECTIONS = {
    "drop table": "'; DROP TABLE cable_segments; --",
    "tautology": "1 OR 1=1",
    "quoted tautology": "' OR '1'='1' --",
    "union": "VNPT' UNION SELECT token_hash FROM api_tokens --",
}


def get_routes(paths: dict) -> list[tuple[str, list[str]]]:
    """(path template, query parameter names) of every GET route of the API."""
    routes = []
    for path, operations in paths.items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", [])
                     if p["in"] == "query"]
            routes.append((path, names))
    return sorted(routes)


def concrete(path: str, world) -> str:
    """``path`` with real values for its parameters (the world's rows)."""
    values = {
        "segment_id": world.seg_a.id, "violation_id": world.violations["open"].id,
        "inspection_id": world.violations["open"].inspection_id, "slot": 1,
        "collectionId": "segments", "featureId": world.seg_a.id, "code": "VNPT",
        "username": world.users["inspector"].username, "year": 2024, "z": 14, "x": 13040,
        "y": 7242, "format": "geojson", "campaign_id": world.campaign.id,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _matched_nothing(response) -> bool:
    """A 200 whose listing is empty: the attempt was compared as a value, matching no row."""
    media = response.headers.get("content-type", "")
    if "json" not in media:
        return False
    body = response.json()
    for key in ("features", "items", "entries", "rows"):
        if key in body:
            return body[key] == []
    return body.get("numberReturned") == 0


@pytest.mark.parametrize("attempt", list(SQL_INJECTIONS))
def test_sql_injection_in_every_query_parameter(api_paths, client, world, unchanged, attempt):
    failures = []
    routes = get_routes(api_paths)
    assert sum(len(names) for _, names in routes) > 80, routes
    with unchanged():
        for path, names in routes:
            for name in names:
                response = client.get(concrete(path, world),
                                      params={name: SQL_INJECTIONS[attempt]},
                                      headers=world.auth("admin"))
                if response.status_code == 200 and _matched_nothing(response):
                    continue
                if response.status_code == 200 and name in IGNORED_ALONE:
                    continue
                try:
                    assert_problem(response, None, f"query.{name}")
                except AssertionError as exc:
                    failures.append((path, name, str(exc)[:200]))
    assert failures == []


#: Parameters a route may ignore when alone (they qualify another: filter-crs needs filter).
IGNORED_ALONE = {"filter-crs", "bbox-crs", "filter-lang"}


#: Path parameters that are codes or names, as (template, expected status).
CODE_PATHS = ["/operators/{}", "/routes/{}", "/communes/{}", "/checklists/{}", "/users/{}",
              "/users/{}/tokens", "/ogc/collections/{}", "/ogc/collections/{}/items",
              "/ogc/collections/segments/items/{}", "/exports/segments.{}",
              "/reports/annual/{}.json"]


@pytest.mark.parametrize("attempt", list(SQL_INJECTIONS))
def test_sql_injection_in_path_parameters(client, world, unchanged, attempt):
    failures = []
    with unchanged():
        for template in CODE_PATHS:
            response = client.get(template.format(SQL_INJECTIONS[attempt]),
                                  headers=world.auth("admin"))
            try:
                assert_problem(response)
            except AssertionError as exc:
                failures.append((template, str(exc)[:200]))
    assert failures == []


def _bodies(world) -> list[tuple[str, str, str, dict, str]]:
    """(method, path, who, body, field) where ``field`` of a good body is looked up by code."""
    inspector = world.users["inspector"].username
    return [
        ("POST", "/plans", "planner", {"year": 2026, "name": "P", "operator": "@"}, "operator"),
        ("POST", "/plans", "planner", {"year": 2026, "name": "P", "commune": "@"}, "commune"),
        ("POST", "/plans", "planner", {"year": 2026, "name": "P", "operator": "VNPT",
                                       "routes": ["@"]}, "routes[0]"),
        ("POST", "/users", "admin", {"username": "@", "full_name": "X", "role": "planner"},
         "username"),
        ("POST", "/users", "admin", {"username": "op.x", "full_name": "X", "role": "operator",
                                     "operator": "@"}, "operator"),
        ("POST", "/campaigns", "admin", {"code": "KT-1", "name": "K", "legal_basis": "QĐ",
                                         "starts_on": "2024-04-01", "ends_on": "2024-05-31",
                                         "operators": ["@"]}, "operators"),
        ("POST", "/campaigns", "admin", {"code": "KT-1", "name": "K", "legal_basis": "QĐ",
                                         "starts_on": "2024-04-01", "ends_on": "2024-05-31",
                                         "inspectors": ["@"]}, "inspectors"),
        ("POST", "/campaigns", "admin", {"code": "@", "name": "K", "legal_basis": "QĐ",
                                         "starts_on": "2024-04-01", "ends_on": "2024-05-31"},
         "code"),
        ("POST", "/penalty-decisions", "admin", {
            "number": "1/QĐ", "decided_on": "2024-05-10", "operator": "@", "decree": "15/2020",
            "article": "40", "amount_vnd": 55_000_000}, "operator"),
        ("POST", "/inspections", "inspector", {
            "segment_id": world.seg_a.id, "visited_at": "2024-05-02T09:30:00+07:00",
            "results": [{"item": "@", "result": "pass"}]}, "results[0].item"),
        ("PATCH", f"/users/{inspector}", "admin", {"full_name": "X", "active": "@"}, "active"),
        ("POST", "/session", "admin", {"token": "@"}, "token"),
    ]


@pytest.mark.parametrize("attempt", list(SQL_INJECTIONS))
def test_sql_injection_in_looked_up_body_fields(client, world, unchanged, attempt):
    failures = []
    with unchanged():
        for method, path, who, body, field in _bodies(world):
            text = json.dumps(body).replace('"@"', json.dumps(SQL_INJECTIONS[attempt]))
            response = client.request(method, path, content=text.encode(),
                                      headers={**world.auth(who),
                                               "Content-Type": "application/json",
                                               "Idempotency-Key": str(uuid.uuid4())})
            try:
                # a login with a wrong token is 401; everything else names the field
                assert_problem(response, None, None if path == "/session" else f"body.{field}")
            except AssertionError as exc:
                failures.append((path, field, str(exc)[:200]))
    assert failures == []


#: CQL2 attempts beyond tests/ogc/test_filter.py's, on every OGC collection.
MORE_CQL = [
    "operator = 'VNPT' OR 1=1",
    "operator IN ('VNPT', (SELECT code FROM operators))",
    "operator LIKE '%' || (SELECT token_hash FROM api_tokens LIMIT 1) || '%'",
    "placement = 'overhead'/**/OR/**/1=1",
    "operator = $$x$$ OR $$1$$ = $$1$$",
    "CASEI(operator) = CASEI('vnpt'); SELECT pg_sleep(10)",
    "pg_sleep(10) = 1",
    "\"length_m\"::text = '1'",
    "S_INTERSECTS(geometry, ST_Buffer(POINT(106.33 20.45), 1))",
]


@pytest.mark.parametrize("collection", ["segments", "violations", "visits", "structures",
                                        "communes", "routes"])
def test_cql_injection_on_every_collection(client, world, unchanged, collection):
    failures = []
    with unchanged():
        for cql in [*CQL_INJECTIONS, *MORE_CQL]:
            response = client.get(f"/ogc/collections/{collection}/items",
                                  params={"filter": cql}, headers=world.auth("admin"))
            if response.status_code == 200 and _matched_nothing(response):
                continue
            try:
                assert_problem(response, 400, "query.filter")
            except AssertionError as exc:
                failures.append((cql, str(exc)[:200]))
    assert failures == []


# --- the importer ----------------------------------------------------------------------------

def _file(folder, properties: dict):
    feature = {"type": "Feature",
               "properties": {"ma_doan": "I1", "placement": "overhead", **properties},
               "geometry": {"type": "LineString",
                            "coordinates": [[106.33, 20.44], [106.34, 20.45]]}}
    path = folder / f"injection-{uuid.uuid4().hex[:6]}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("attempt", list(SQL_INJECTIONS))
def test_import_injection_in_options_and_lookups(import_cli, tmp_path, attempt):
    """Attribute values that are looked up (operator, placement) and the options: refused
    naming the row and field, or the option."""
    value = SQL_INJECTIONS[attempt]
    for field, properties in (("operator", {"operator": value}),
                              ("placement", {"placement": value})):
        _, problems = import_cli.refused(_file(tmp_path, properties), "--crs", "EPSG:4326")
        assert [(p["row"], p["field"]) for p in problems] == [("1", field)], problems
    good = _file(tmp_path, {})
    for option in ("--crs", "--layer", "--effective-date"):
        output, _ = import_cli.refused(good, option, value)
        assert option.removeprefix("--").replace("-", " ")[:5] in output.lower() \
            or value[:10] in output, (option, output)
