"""Part 3: CQL2 text filters, every supported operator against the queryables; bad filters
refused as 400 naming ``filter``, and never run as SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.ogc.helpers import ids, items_url, problem_field


@pytest.fixture
def segment_ids(ogc):
    return {"a": ogc.world.seg_a.id, "b": ogc.world.seg_b.id, "c": ogc.seg_c.id}


def _ids(client, ogc, collection: str, cql: str) -> list[int]:
    return ids(client, collection, ogc.auth("admin"), filter=cql, **{"filter-lang": "cql2-text"})


@pytest.mark.parametrize(("cql", "expected"), [
    ("operator = 'VNPT'", "ac"),
    ("operator <> 'VNPT'", "b"),
    ("placement = 'underground'", "c"),
    ("tidied = false", "abc"),
    ("tidied = true", ""),
    ("route LIKE 'VNPT-%'", "ac"),
    ("route LIKE 'VT-0_'", "b"),
    ("route NOT LIKE 'VNPT%'", "b"),
    ("operator IN ('VIETTEL', 'FPT')", "b"),
    ("operator NOT IN ('VIETTEL')", "ac"),
    ("commune_code IS NULL", "abc"),
    ("route IS NOT NULL", "abc"),
    ("state_since >= DATE('2023-01-01')", "c"),
    ("state_since < DATE('2023-01-01')", "ab"),
    ("state_since BETWEEN DATE('2019-01-01') AND DATE('2019-12-31')", "ab"),
    ("length_m > 521.5", "ab"),  # seg_c, further north, is shorter
    ("length_m <= 521.5", "c"),
    ("length_m BETWEEN 500 AND 600", "abc"),
    ("'VIETTEL' = operator", "b"),
    ("operator = 'VNPT' AND placement = 'overhead'", "a"),
    ("operator = 'VIETTEL' OR placement = 'underground'", "bc"),
    ("NOT (operator = 'VNPT')", "b"),
    ("NOT operator = 'VNPT' OR (placement = 'underground' AND lifecycle = 'active')", "bc"),
    ("S_INTERSECTS(geometry, POLYGON((106.49 20.54,106.51 20.54,106.51 20.56,106.49 20.56,"
     "106.49 20.54)))", "c"),
    ("S_INTERSECTS(geometry, POINT(106.33 20.46))", "b"),
    ("S_INTERSECTS(geometry, LINESTRING(106.331 20.44, 106.331 20.47)) AND operator = 'VNPT'",
     "a"),
    ("S_INTERSECTS(geometry, BBOX(106.32, 20.44, 106.34, 20.455))", "a"),
    ("NOT S_INTERSECTS(geometry, POINT(106.33 20.46))", "ac"),
])
def test_segments_filter(client, ogc, segment_ids, cql, expected):
    assert _ids(client, ogc, "segments", cql) == [segment_ids[k] for k in expected]


def test_filter_on_other_collections(client, ogc):
    violations = ogc.world.violations
    assert _ids(client, ogc, "violations", "state = 'open'") == sorted(
        [violations["open"].id, violations["viettel"].id])
    assert _ids(client, ogc, "violations", "due_on > DATE('2024-04-01')") == [
        violations["viettel"].id]
    assert _ids(client, ogc, "violations",
                "found_at >= TIMESTAMP('2024-03-05T03:00:00Z')") == [violations["viettel"].id]
    assert _ids(client, ogc, "visits", f"segment_id = {ogc.world.seg_b.id}") == [
        violations["viettel"].inspection_id]
    assert _ids(client, ogc, "structures", "owner = 'VIETTEL'") == [
        ogc.structures["viettel"].id]
    assert len(_ids(client, ogc, "communes", "code = '97001' AND valid_to IS NULL")) == 1
    assert _ids(client, ogc, "routes", "tier = 'trunk'") == [ogc.world.seg_a.route_id]


@pytest.mark.parametrize(("cql", "reason"), [
    ("colour = 'red'", "unknown property 'colour'"),
    ("operator = ", "not valid CQL2 text"),
    ("operator = 'VNPT' AND", "not valid CQL2 text"),
    ("length_m = 'long'", "does not fit a number property"),
    ("operator = 5", "does not fit a string property"),
    ("tidied = 1", "does not fit a boolean property"),
    ("state_since = DATE('2024-02-30')", "not valid CQL2 text"),
    ("operator = route", None),
    ("length_m = tidied", "cannot compare"),
    ("length_m = 1 + 2", "unsupported expression"),
    ("T_BEFORE(state_since, DATE('2024-01-01'))", "not valid CQL2 text"),
    ("S_WITHIN(geometry, POINT(106 20))", "not supported"),
    ("S_INTERSECTS(operator, POINT(106 20))", "S_INTERSECTS needs the property geometry"),
    ("geometry = 'x'", "geometry can only be used in S_INTERSECTS"),
    ("1 = 1", "needs a property"),
    ("operator ILIKE 'v%'", None),
    ("S_INTERSECTS(geometry, POLYGON((106 20,107 20,107 21)))", "is not valid"),
    ("length_m = 99999999999999999999", "out of range"),
])
def test_bad_filters_are_400_naming_filter(client, ogc, cql, reason):
    response = client.get(items_url("segments"), params={"filter": cql},
                          headers=ogc.auth("admin"))
    if reason is None and response.status_code == 200:
        return  # a valid CQL2 filter (property-property, ...) that the API serves
    assert problem_field(response) == "query.filter"
    if reason:
        assert reason in response.json()["detail"]


INJECTIONS = [
    "operator = 'VNPT'; DROP TABLE cable_segments; --'",
    "operator = 'x'' OR ''1''=''1'",
    "operator = 'VNPT' OR 1=1",
    "\"operator\" = 'x') OR (1=1",
    "\"operator; DELETE FROM cable_segments\" = 'x'",
    "operator = 'VNPT' UNION SELECT * FROM api_tokens",
    "S_INTERSECTS(geometry, POINT(1 2)); DELETE FROM violations",
    "operator = 'x\\'; DELETE FROM violations; --'",
]


@pytest.mark.parametrize("cql", INJECTIONS)
def test_injection_attempts_never_reach_sql(client, ogc, session, cql):
    before = session.execute(text(
        "SELECT (SELECT count(*) FROM cable_segments), (SELECT count(*) FROM violations)")).one()
    response = client.get(items_url("segments"), params={"filter": cql},
                          headers=ogc.auth("admin"))
    if response.status_code == 200:  # parsed as a literal: compared, matched nothing
        assert response.json()["numberReturned"] == 0
    else:
        assert problem_field(response) == "query.filter"
    after = session.execute(text(
        "SELECT (SELECT count(*) FROM cable_segments), (SELECT count(*) FROM violations)")).one()
    assert after == before == (3, 5)
