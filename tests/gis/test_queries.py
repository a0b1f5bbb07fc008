"""The read queries on the demo province (3,000 segments with history): the same answers as
brute-force SQL, index-driven plans, and the pure helpers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.choices import ComplianceState, Placement
from gis.compliance.rules import local_today, segment_states_sql
from gis.errors import ValidationFailed
from gis.models import CableSegment
from gis.queries import nearest_segments
from gis.queries.common import BBox, feature_collection_json, page_of
from gis.queries.nearest import nearest_query
from gis.queries.segments import SegmentFilter, get_segment, list_segments, segments_query
from gis.sample import demo_directory
from gis.sample.load import load_sample
from tests.compliance_data import local, make_violation, make_visit
from tests.factories import make_user

CITY = BBox(106.32, 20.43, 106.36, 20.47)


#: The demo's network files (its inspection history is left out: replaying it is slow, and
#: the visits these tests need are made below).
NETWORK_FILES = ("manifest.json", "operators.csv", "admin_units.geojson", "crosswalk.csv",
                 "routes.csv", "structures.geojson", "segments.geojson", "segment_history.csv",
                 "plans.csv")


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory) -> Iterator[Session]:
    """The demo network loaded once for this module, with visits (and some violations) on every
    40th segment over the last 900 days, in a transaction rolled back at the end (the tests only
    read)."""
    directory = tmp_path_factory.mktemp("demo_network")
    for name in NETWORK_FILES:
        (directory / name).symlink_to(demo_directory() / name)
    with engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            session.execute(text("SET LOCAL jit = off"))  # as the API serves (api.main)
            load_sample(session, directory)
            inspector, _ = make_user(session, "inspector", username="demo-inspector")
            segments = session.scalars(select(CableSegment).order_by(CableSegment.id)).all()
            today = local_today()
            for i, segment in enumerate(segments[::40]):
                day = today - timedelta(days=(i * 37) % 900)
                visit = make_visit(session, segment, inspector, local(day.year, day.month,
                                                                      day.day))
                if i % 3 == 0:
                    make_violation(session, visit, "C1",
                                   due_on=day + timedelta(days=400 if i % 2 else 20))
            session.execute(text("ANALYZE cable_segments, segment_states, inspections, "
                                 "violations"))
            yield session
        trans.rollback()


def _all_ids(session: Session, flt: SegmentFilter, as_of: date | None, limit: int) -> list[int]:
    """Every id of the listing, page after page."""
    ids: list[int] = []
    after = 0
    while True:
        page = list_segments(session, flt, as_of=as_of, stale_after_days=365, limit=limit,
                             after=after)
        ids += [json.loads(f)["id"] for f in page.features]
        if page.next_after is None:
            return ids
        after = page.next_after


def test_listing_matches_brute_force_history(demo):
    """bbox + placement on a past date: the same ids as a brute-force query on the history."""
    as_of = date(2022, 6, 30)
    flt = SegmentFilter(bbox=CITY, placement=Placement.OVERHEAD, tidied=True)
    expected = list(demo.scalars(text("""
        SELECT s.id FROM cable_segments s
          JOIN (SELECT DISTINCT ON (segment_id) * FROM segment_states
                 WHERE effective_date <= :d ORDER BY segment_id, effective_date DESC, id DESC) st
            ON st.segment_id = s.id
         WHERE ST_Intersects(s.geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))
           AND st.placement = 'overhead' AND st.tidied
         ORDER BY s.id"""), {"d": as_of, **dict(zip("wsen", (CITY.west, CITY.south, CITY.east,
                                                                 CITY.north), strict=True))}))
    assert len(expected) > 50
    assert _all_ids(demo, flt, as_of, limit=37) == expected


def test_compliance_filter_matches_the_rules_for_every_segment(demo):
    """The compliance filter (which classifies only visited segments) partitions the network
    exactly as the rules' SQL applied to every segment."""
    as_of = local_today()
    rows = demo.execute(text(segment_states_sql()), {"as_of": as_of, "stale_after_days": 365})
    expected: dict[str, set[int]] = {state.value: set() for state in ComplianceState}
    for segment_id, state in rows:
        expected[state].add(segment_id)
    with_state = set(demo.scalars(text(
        "SELECT DISTINCT segment_id FROM segment_states WHERE effective_date <= :d"),
        {"d": as_of}))
    assert all(expected[state.value] for state in ComplianceState)
    for state in ComplianceState:
        got = _all_ids(demo, SegmentFilter(compliance=state), None, limit=5000)
        assert set(got) == expected[state.value] & with_state, state
    past = local_today() - timedelta(days=300)
    rows = demo.execute(text(segment_states_sql()), {"as_of": past, "stale_after_days": 365})
    overdue = {segment_id for segment_id, state in rows if state == ComplianceState.OVERDUE}
    assert overdue
    assert set(_all_ids(demo, SegmentFilter(compliance=ComplianceState.OVERDUE), past,
                        limit=5000)) == overdue


def test_nearest_matches_brute_force(demo):
    """At 25 points near the sample's segments, the nearest search returns exactly what a full
    scan ordered by geodesic distance returns."""
    rng = random.Random(7)
    points = demo.execute(text("""
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_LineInterpolatePoint(geom, 0.5) AS p FROM cable_segments
           ORDER BY id LIMIT 25 OFFSET 100) x""")).all()
    brute = text("""
        SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
                                              ::geography) AS d
          FROM cable_segments
         WHERE lifecycle <> 'removed'
           AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography,
                          :r)
         ORDER BY d, id LIMIT :k""")
    compared = 0
    for lon, lat in points:
        lon, lat = lon + rng.uniform(-2e-4, 2e-4), lat + rng.uniform(-2e-4, 2e-4)
        for radius, k in ((60.0, 3), (400.0, 12)):
            found = nearest_segments(demo, lon, lat, radius, k)
            expected = demo.execute(brute, {"lon": lon, "lat": lat, "r": radius, "k": k}).all()
            assert [s.id for s in found] == [row.id for row in expected]
            assert [s.distance_m for s in found] == pytest.approx([row.d for row in expected])
            compared += len(found)
    assert compared > 100


def _plan(session: Session, sql: str, params: dict) -> str:
    return "\n".join(session.scalars(text("EXPLAIN " + sql), params))


def _page_plan(plan: str) -> str:
    """The part of a listing plan that selects the page: the lines under ``CTE page``."""
    lines = plan.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "CTE page")
    indent = len(lines[start]) - len(lines[start].lstrip())
    page = []
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        page.append(line)
    return "\n".join(page)


def test_plans_use_the_indexes(demo):
    """The listing walks the primary key, or the GiST index for a small box, and on a past date
    probes each segment's state through the latest-state index; today it reads the segments'
    own state columns. The nearest search is a KNN scan of the GiST index."""
    sql, params = segments_query(demo, SegmentFilter(), as_of=None, stale_after_days=365)
    page = _page_plan(_plan(demo, sql, params))
    assert "cable_segments_pkey" in page and "segment_states" not in page, page
    sql, params = segments_query(demo, SegmentFilter(), as_of=date(2021, 1, 1),
                                 stale_after_days=365, after=1500)
    page = _page_plan(_plan(demo, sql, params))
    assert "cable_segments_pkey" in page and "segment_states_latest_idx" in page, page
    sql, params = segments_query(demo, SegmentFilter(bbox=BBox(106.33, 20.44, 106.332, 20.442)),
                                 as_of=date(2023, 1, 1), stale_after_days=365)
    page = _page_plan(_plan(demo, sql, params))
    assert "cable_segments_geom_idx" in page and "Seq Scan" not in page, page
    sql, params = nearest_query(106.34, 20.45, 50, 5)
    plan = _plan(demo, sql, params)
    assert "Index Scan using cable_segments_geom_idx" in plan and "Order By: (" in plan, plan
    assert "Seq Scan on cable_segments" not in plan, plan


def test_segment_detail_has_the_whole_history(demo):
    """A demo segment with several state rows shows them all, oldest first."""
    segment_id, rows = demo.execute(text("""
        SELECT segment_id, count(*) FROM segment_states GROUP BY segment_id
         ORDER BY count(*) DESC, segment_id LIMIT 1""")).one()
    feature = get_segment(demo, segment_id, stale_after_days=365)
    history = feature["properties"]["history"]
    assert len(history) == rows > 1
    assert [h["effective_date"] for h in history] == sorted(h["effective_date"] for h in history)
    assert feature["properties"]["state_since"] == history[-1]["effective_date"].isoformat()


def test_bad_input_raises_field_named_problems(demo):
    """Unknown codes and a future date name their field."""
    cases = [
        (SegmentFilter(operators=("VNPT", "NOPE")), None, "operator[1]"),
        (SegmentFilter(commune="00000"), None, "commune"),
        (SegmentFilter(route="NOPE"), None, "route"),
        (SegmentFilter(), date(local_today().year + 1, 1, 1), "as_of"),
    ]
    for flt, as_of, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            list_segments(demo, flt, as_of=as_of, stale_after_days=365)
        assert [p.field for p in caught.value.problems] == [field]
    for args, field in (((200, 20), "lon"), ((106, 95), "lat"), ((106, 20, 0), "radius_m"),
                        ((106, 20, 50, 0), "limit")):
        with pytest.raises(ValidationFailed) as caught:
            nearest_segments(demo, *args)
        assert caught.value.problems[0].field == field


@pytest.mark.parametrize("text_, message", [
    ("1,2,3", "4 comma-separated"), ("1,2,3,x", "numbers"), ("3,2,1,4", "minLon < maxLon"),
    ("1,4,3,2", "minLat < maxLat"), ("-181,0,1,1", "longitudes"), ("0,0,1,91", "latitudes"),
    ("inf,0,1,1", "finite"),
])
def test_bbox_parse_refuses(text_, message):
    """A bad bbox string says what is wrong."""
    with pytest.raises(ValueError, match=message):
        BBox.parse(text_)


def test_collection_and_page_helpers():
    """The collection text is valid JSON without a crs; a page keeps `limit` rows and the cursor
    only when more rows were fetched."""
    assert BBox.parse(" 106.3, 20.4 ,106.4,20.5") == BBox(106.3, 20.4, 106.4, 20.5)
    features = ['{"type":"Feature","id":1,"geometry":null,"properties":{}}']
    body = json.loads(feature_collection_json(features, numberReturned=1, links=[]))
    assert body == {"type": "FeatureCollection", "features": [json.loads(features[0])],
                    "numberReturned": 1, "links": []}
    rows = [(i, f"f{i}") for i in (3, 5, 8)]
    assert page_of(rows, 2).features == ["f3", "f5"] and page_of(rows, 2).next_after == 5
    assert page_of(rows, 3).next_after is None and page_of([], 3).features == []
