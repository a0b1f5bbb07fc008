"""Over-long, non-UTF-8, NUL and lone-surrogate text in every text field of the JSON bodies,
in every string query parameter, in path parameters, and in the attribute table of an imported
file. Each is refused with a 4xx naming the field (or a CLI error naming the row and field) and
leaves the database unchanged.

A lone surrogate (JSON ``"\\ud800"``) is valid JSON and a valid Python string, but UTF-8 cannot
encode it, so PostgreSQL never can store it; NUL (``"\\u0000"``) PostgreSQL text refuses too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from tests.bad_inputs.conftest import assert_problem
from tests.compliance_data import World
from tests.factories import make_route
from tests.visit_samples import body_for

HUNDRED_KB = "đ" * 50_000  # 100,000 bytes of UTF-8

#: name -> JSON text of the value (spliced in raw, so escapes reach the server as written)
BAD_TEXT = {
    "100 KB": json.dumps(HUNDRED_KB),
    "NUL": '"a\\u0000b"',
    "lone surrogate": '"a\\ud800b"',
    "raw byte 0xFF (not UTF-8)": None,  # spliced as bytes below
}


def _place(body: dict, path: tuple, marker: str) -> dict:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return body


# (method, path, who, body maker, text fields (paths into the body))
def _bodies(session, world: World) -> dict[str, tuple[str, str, str, Callable[[], dict], list]]:
    inspector = world.users["inspector"].username
    make_route(session, world.vnpt, "R-1")
    visit = lambda: body_for(session, segment_id=world.seg_a.id,  # noqa: E731
                             note="Cột 12", campaign_id=None)
    return {
        "visit": ("POST", "/inspections", "inspector", visit,
                  [("note",), ("results", 0, "note"), ("results", 0, "item")]),
        "user": ("POST", "/users", "admin",
                 lambda: {"username": "new.user", "full_name": "Nguyễn Văn An", "role": "planner"},
                 [("username",), ("full_name",)]),
        "operator user": ("POST", "/users", "admin",
                          lambda: {"username": "op.user", "full_name": "VNPT TB",
                                   "role": "operator", "operator": "VNPT"},
                          [("operator",)]),
        "user change": ("PATCH", f"/users/{inspector}", "admin",
                        lambda: {"full_name": "Trần Thị Bình"}, [("full_name",)]),
        "token": ("POST", f"/users/{inspector}/tokens", "admin",
                  lambda: {"days": 3, "label": "tablet"}, [("label",)]),
        "plan": ("POST", "/plans", "planner",
                 lambda: {"year": 2026, "name": "Ngầm hóa 2026", "operator": "VNPT",
                          "legal_basis": "KH 49", "note": "n", "target_km": 1.5},
                 [("name",), ("operator",), ("legal_basis",), ("note",)]),
        "plan routes": ("POST", "/plans", "planner",
                        lambda: {"year": 2026, "name": "Ngầm hóa R-1", "operator": "VNPT",
                                 "routes": ["R-1"]}, [("routes", 0)]),
        "campaign": ("POST", "/campaigns", "admin",
                     lambda: {"code": "KT-2024-09", "name": "Kiểm tra", "legal_basis": "QĐ 45",
                              "starts_on": "2024-04-01", "ends_on": "2024-05-31",
                              "operators": ["VNPT"], "inspectors": [inspector],
                              "note": "n"},
                     [("code",), ("name",), ("legal_basis",), ("note",), ("operators", 0),
                      ("inspectors", 0), ("checklist_version",)]),
        "penalty decision": ("POST", "/penalty-decisions", "admin",
                             lambda: {"number": "12/QĐ-XPHC", "decided_on": "2024-05-10",
                                      "operator": "VNPT", "decree": "15/2020/NĐ-CP",
                                      "article": "40", "clause": "3", "amount_vnd": 55_000_000,
                                      "note": "n"},
                             [("number",), ("operator",), ("decree",), ("article",),
                              ("clause",), ("note",)]),
        "placement report": ("POST", "/placement-reports", "vnpt",
                             lambda: {"segment_id": world.seg_a.id, "effective_on": "2024-06-30",
                                      "placement": "underground", "tidied": True,
                                      "evidence": "Biên bản 45"},
                             [("evidence",), ("placement",)]),
        "remediation": ("POST", f"/violations/{world.violations['open'].id}/remediation", "vnpt",
                        lambda: {"note": "Đã treo biển", "evidence": "ảnh"},
                        [("note",), ("evidence",)]),
        "page session": ("POST", "/session", "admin",
                         lambda: {"token": world.tokens["admin"]}, [("token",)]),
    }


BODY_NAMES = ["visit", "user", "operator user", "user change", "token", "plan", "plan routes",
              "campaign", "penalty decision", "placement report", "remediation", "page session"]


def _post(client, world, method, path, who, content: bytes):
    return client.request(method, path, content=content,
                          headers={**world.auth(who), "Content-Type": "application/json",
                                   "Idempotency-Key": str(uuid.uuid4())})


def test_the_base_bodies_are_accepted(client, session, world):
    """Each body below is good as it is: so its refusals are due to the one bad field."""
    bodies = _bodies(session, world)
    assert sorted(bodies) == sorted(BODY_NAMES)
    for name in reversed(BODY_NAMES):  # the visit last: its passes close the open violation
        method, path, who, make, _ = bodies[name]
        response = _post(client, world, method, path, who, json.dumps(make()).encode())
        assert response.status_code in (200, 201), (name, response.text)


@pytest.mark.parametrize("name", BODY_NAMES)
def test_bad_text_in_each_body_field_refused_naming_it(client, session, world, unchanged, name):
    """Every text field of the body, with every kind of bad text: 422 naming the field (400
    when the bytes are not UTF-8, so the body is not JSON)."""
    method, path, who, make, fields = _bodies(session, world)[name]
    failures = []
    with unchanged():
        for value, raw in BAD_TEXT.items():
            for field in fields:
                marker = "@@BAD@@"
                text = json.dumps(_place(make(), field, marker)).encode()
                bad = b'"a\xffb"' if raw is None else raw.encode()
                response = _post(client, world, method, path, who,
                                 text.replace(json.dumps(marker).encode(), bad))
                dotted = "body" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}"
                                          for k in field)
                try:
                    assert_problem(response, 400 if raw is None else 422,
                                   None if raw is None else dotted)
                except AssertionError as exc:
                    failures.append((value, dotted, str(exc)[:300]))
    assert failures == []


#: GET routes and their string query parameters (codes, dates, free text).
QUERY_PARAMETERS = {
    "/segments": ["as_of", "operator", "route", "commune", "placement", "lifecycle",
                  "compliance"],
    "/exports/segments.geojson": ["as_of", "crs", "operator", "route", "commune", "placement",
                                  "lifecycle", "compliance"],
    "/ogc/collections/segments/items": ["bbox-crs", "limit", "datetime", "crs", "filter",
                                        "filter-lang", "filter-crs", "after", "before"],
    "/inspections": ["campaign", "inspector", "from", "to"],
    "/routes": ["operator", "tier", "after"],
    "/communes": ["as_of", "level"],
    "/structures": ["kind", "operator"],
    "/plans": ["commune", "operator"],
    "/checklists/in-force": ["on", "placement"],
    "/campaigns": ["active_on"],
    "/violations": ["operator", "item", "state", "as_of", "found_from", "found_to"],
    "/penalty-decisions": ["operator"],
    "/placement-reports": ["status", "operator"],
    "/compliance/summary": ["as_of", "group_by"],
    "/dashboard/data": ["operator", "commune"],
    "/reports/annual/2024.json": ["operator", "commune"],
    "/users": ["role"],
    "/audit": ["table", "row_key", "actor", "from", "to", "cursor"],
    "/tiles/14/13040/7242.pbf": ["as_of", "operator"],
}

#: Raw (already percent-encoded) query values.
BAD_QUERY_VALUES = {
    "60 KB (httpx refuses URLs over 64 KiB)": "x" * 60_000,
    "non-UTF-8 %FF%FE": "%FF%FEabc",
    "CESU surrogate %ED%A0%80": "%ED%A0%80",
    "overlong UTF-8 %C0%AF": "%C0%AF",
}


@pytest.mark.parametrize("route", list(QUERY_PARAMETERS))
def test_bad_text_in_each_query_parameter(client, world, unchanged, route):
    """Refused naming ``query.<name>``, or (a free-text filter) answered with nothing found."""
    failures = []
    with unchanged():
        for value, raw in BAD_QUERY_VALUES.items():
            for parameter in QUERY_PARAMETERS[route]:
                url = f"{route}?{parameter}={raw}{COMPANIONS.get(parameter, '')}"
                response = client.get(url, headers=world.auth("admin"))
                if response.status_code == 200 and _nothing_found(response):
                    continue
                try:
                    assert_problem(response, None, f"query.{parameter}")
                except AssertionError as exc:
                    failures.append((value, parameter, str(exc)[:300]))
    assert failures == []


#: Parameters that only mean something with another one: sent together.
COMPANIONS = {
    "filter-crs": "&filter=S_INTERSECTS(geometry,POINT(106.33 20.45))",
    "filter-lang": "&filter=operator%3D'VNPT'",
    "bbox-crs": "&bbox=106,20,107,21",
}


def _nothing_found(response) -> bool:
    """An answer that lists nothing: the bad value matched no row."""
    if not response.headers["content-type"].startswith(("application/json",
                                                        "application/geo+json")):
        return response.content == b""
    body = response.json()
    for key in ("features", "items", "rows", "entries"):
        if key in body:
            return body[key] == []
    return body.get("numberReturned", 0) == 0


PATHS = {
    "/operators/{}": 404,
    "/routes/{}": 404,
    "/communes/{}": (404, 422),
    "/checklists/{}": 404,
    "/users/{}": 404,
    "/users/{}/tokens": 404,
    "/ogc/collections/{}": 404,
    "/ogc/collections/{}/items": 404,
    "/ogc/collections/segments/items/{}": (400, 404, 422),
}


@pytest.mark.parametrize("template", list(PATHS))
def test_bad_text_in_path_parameters(client, world, unchanged, template):
    failures = []
    with unchanged():
        for value, raw in BAD_QUERY_VALUES.items():
            response = client.get(template.format(raw), headers=world.auth("admin"))
            try:
                assert_problem(response, PATHS[template])
            except AssertionError as exc:
                failures.append((value, str(exc)[:300]))
    assert failures == []


# --- the importer's attribute table ----------------------------------------------------------

def _geojson(folder, properties: dict, raw: bytes | None = None):
    good = {"ma_doan": "T1", "placement": "overhead", "tidied": "false", "lifecycle": "active"}
    features = [
        {"type": "Feature", "properties": good,
         "geometry": {"type": "LineString", "coordinates": [[106.33, 20.44], [106.34, 20.45]]}},
        {"type": "Feature", "properties": {**good, "ma_doan": "T2", **properties},
         "geometry": {"type": "LineString", "coordinates": [[106.35, 20.45], [106.36, 20.46]]}},
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    if raw is not None:
        text = text.replace(b'"@@RAW@@"', raw)
    path = folder / f"attributes-{uuid.uuid4().hex[:6]}.geojson"
    path.write_bytes(text)
    return path


def _csv(folder, row: dict) -> object:
    """A CSV (WKT in EPSG:4326) whose second data row (line 3) carries ``row``'s values."""
    good = {"ma_doan": "T1", "placement": "overhead", "route_code": "", "street": "",
            "wkt": "LINESTRING (106.33 20.44, 106.34 20.45)"}
    lines = [",".join(good)]
    for values in (good, {**good, "ma_doan": "T2", **row}):
        lines.append(",".join(f'"{v}"' for v in values.values()))
    path = folder / f"attributes-{uuid.uuid4().hex[:6]}.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    return path


#: name -> (file kind, values of row 2, raw bytes for "@@RAW@@", field named in the report);
#: GeoJSON rows are features (row 2 = feature 2), CSV rows are lines (row 3 = data row 2).
ATTRIBUTES = {
    "100 KB source id": ("geojson", {"ma_doan": HUNDRED_KB}, None, "source_fid"),
    "100 KB route code": ("geojson", {"route_code": HUNDRED_KB}, None, "route_code"),
    "100 KB placement": ("geojson", {"placement": HUNDRED_KB}, None, "placement"),
    "100 KB operator": ("geojson", {"operator": HUNDRED_KB}, None, "operator"),
    "100 KB route name": ("geojson", {"route_code": "R-9", "route_name": HUNDRED_KB}, None,
                          "route_name"),
    "100 KB street": ("geojson", {"route_code": "R-9", "street": HUNDRED_KB}, None, "street"),
    "raw 0xFF byte in route code": ("geojson", {"route_code": "@@RAW@@"}, b'"R\xff9"',
                                    "route_code"),
    "raw 0xFF byte in placement": ("geojson", {"placement": "@@RAW@@"}, b'"over\xffhead"',
                                   "placement"),
    "NUL in a CSV source id": ("csv", {"ma_doan": "T\x002"}, None, "source_fid"),
    "NUL in a CSV street": ("csv", {"street": "Lý\x00Thường Kiệt"}, None, "street"),
    "NUL in a CSV placement": ("csv", {"placement": "over\x00head"}, None, "placement"),
}


@pytest.mark.parametrize("case", list(ATTRIBUTES))
def test_import_refuses_bad_text_naming_row_and_field(import_cli, tmp_path, case):
    kind, values, raw, field = ATTRIBUTES[case]
    path = _geojson(tmp_path, values, raw) if kind == "geojson" else _csv(tmp_path, values)
    output, problems = import_cli.refused(path, "--crs", "EPSG:4326")
    assert len(output) < 20_000, "the error repeats the 100 KB value"
    row = "2" if kind == "geojson" else "3"
    assert (row, field) in [(p["row"], p["field"]) for p in problems], (problems, output)


def test_import_refuses_a_shapefile_whose_cpg_lies_about_its_encoding(import_cli, tmp_path):
    """A zipped Shapefile whose .dbf is Windows-1258 (Vietnamese) while its .cpg says UTF-8:
    the street names are not UTF-8; the rows are named, not a crash."""
    import zipfile

    import pyogrio

    from tests.importers.network import network

    frame = network()
    frame["operator"] = import_cli.code
    frame["route_code"] = ""
    frame["street"] = "Lý Thường Kiệt"
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "cap.shp", driver="ESRI Shapefile",
                            encoding="cp1258")
    (folder / "cap.cpg").write_text("UTF-8")
    path = tmp_path / "cap.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    output, problems = import_cli.refused(path)
    assert {(p["row"], p["field"]) for p in problems} == {
        (str(row), "street") for row in range(1, 5)}, (problems, output)
    assert "not valid UTF-8" in problems[0]["reason"]


def test_import_refuses_a_csv_that_is_not_utf8_naming_it(import_cli, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("ma_doan,placement,wkt\nĐ1,overhead,\"LINESTRING (106.33 20.44, 106.34 "
                     "20.45)\"\n".encode("cp1258"))
    output, _ = import_cli.refused(path, "--crs", "EPSG:4326")
    assert "latin.csv is not UTF-8" in output
