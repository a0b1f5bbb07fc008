"""GeoJSON export: the features of GET /segments, every one, as an RFC 7946 FeatureCollection
streamed from the database in chunks."""

from __future__ import annotations

import inspect
import json
from datetime import date

from psycopg import pq
from sqlalchemy import text

from gis.auth import Principal, bind_principal
from gis.choices import ComplianceState, Lifecycle, Placement, Role
from gis.exports import plan_export, stream_export
from gis.exports.geojson import HEAD, TAIL, collection_chunks, geojson_chunks
from gis.exports.rfc7946 import check_bytes
from gis.queries.common import BBox
from gis.queries.segments import SegmentFilter
from tests.exports.network import reference


def _export(session, flt=None, as_of=None) -> dict:
    plan = plan_export(session, flt or SegmentFilter(), fmt="geojson", as_of=as_of,
                       stale_after_days=365)
    data = b"".join(stream_export(session, plan))
    assert check_bytes(data) == [], check_bytes(data)[:5]
    return json.loads(data)


def _by_id(document: dict) -> dict[int, dict]:
    ids = [f["id"] for f in document["features"]]
    assert len(ids) == len(set(ids))
    return {f["id"]: f for f in document["features"]}


def test_the_features_are_those_of_get_segments(session, net):
    """Every segment, each Feature equal to the one GET /segments returns (geometry to 7
    decimals, properties, compliance); no crs member; one feature per line."""
    document = _export(session)
    assert set(document) == {"type", "features"}
    assert document["type"] == "FeatureCollection"
    assert _by_id(document) == reference(session)
    assert len(document["features"]) == len(net.segs) == 7
    a = _by_id(document)[net.segs["a"].id]
    assert a["geometry"]["coordinates"][0] == [106.3123457, 20.4123457]
    assert a["properties"] == {
        "route": "VNPT-01", "operator": "VNPT", "commune_code": "97001",
        "commune_name": "Phường Một", "placement": "underground", "placement_kind": "tunnel",
        "tidied": False, "lifecycle": "active", "state_since": "2024-06-01",
        "length_m": a["properties"]["length_m"], "compliance": "not_inspected"}
    assert _by_id(document)[net.segs["g"].id]["properties"]["commune_code"] is None
    assert _by_id(document)[net.segs["c"].id]["properties"]["compliance"] == "overdue"


def test_filters_and_as_of_are_those_of_get_segments(session, net):
    """Each filter keeps what GET /segments keeps; on a date before "a" went underground, it
    is exported overhead, and the compliance is that of the date."""
    cases = [
        SegmentFilter(operators=("VIETTEL",)),
        SegmentFilter(route="VNPT-01"),
        SegmentFilter(commune="97002"),
        SegmentFilter(placement=Placement.UNDERGROUND),
        SegmentFilter(tidied=True),
        SegmentFilter(lifecycle=Lifecycle.REMOVED),
        SegmentFilter(compliance=ComplianceState.OVERDUE),
        SegmentFilter(compliance=ComplianceState.NOT_INSPECTED),
        SegmentFilter(bbox=BBox(106.31, 20.41, 106.325, 20.43)),
        SegmentFilter(operators=("VNPT",), placement=Placement.OVERHEAD),
    ]
    for flt in cases:
        exported = _by_id(_export(session, flt))
        assert exported == reference(session, flt), flt
        assert exported, flt
    before = _by_id(_export(session, as_of=date(2024, 5, 31)))
    assert before == reference(session, as_of=date(2024, 5, 31))
    a = before[net.segs["a"].id]["properties"]
    assert (a["placement"], a["placement_kind"], a["state_since"]) == (
        "overhead", "aerial", "2019-01-01")
    assert net.segs["f"].id in before
    assert before[net.segs["c"].id]["properties"]["compliance"] == "overdue"
    on_visit = _by_id(_export(session, as_of=date(2024, 3, 15)))
    assert on_visit[net.segs["b"].id]["properties"]["compliance"] == "compliant"
    assert on_visit[net.segs["c"].id]["properties"]["compliance"] == "non_compliant"
    assert net.segs["f"].id not in on_visit  # its first state is dated 2024-05-01
    underground = _by_id(_export(session, SegmentFilter(placement=Placement.UNDERGROUND),
                                 as_of=date(2024, 5, 31)))
    assert set(underground) == {net.segs["c"].id}


def test_an_empty_export_is_a_valid_collection(session, net):
    document = _export(session, SegmentFilter(bbox=BBox(107.0, 21.0, 107.1, 21.1)))
    assert document == {"type": "FeatureCollection", "features": []}


def test_an_operator_exports_only_its_own_segments(session, net):
    """Row-level security applies to the export: the VIETTEL user's transaction sees only
    VIETTEL's segments."""
    user = net.users["viettel"]
    bind_principal(session, Principal(user.id, user.username, Role.OPERATOR, user.operator_id))
    try:
        exported = _by_id(_export(session))
    finally:
        session.execute(text("RESET ROLE"))
        session.execute(text("SELECT set_config('telecom_gis.operator_scope', '', true)"))
    assert {f["properties"]["operator"] for f in exported.values()} == {"VIETTEL"}
    assert set(exported) == {net.segs[n].id for n in ("d", "e", "g")}


def test_chunks_come_before_the_rows_are_all_read(session, net):
    """The export is a generator; after its first chunks of features the query is still
    running on the connection (libpq has not received the end of the result), so rows are
    read as chunks are written, not loaded first."""
    plan = plan_export(session, SegmentFilter(), fmt="geojson", stale_after_days=365)
    chunks = geojson_chunks(session, plan.query, batch_rows=2)
    assert inspect.isgenerator(chunks)
    pgconn = session.connection().connection.driver_connection.pgconn
    assert next(chunks) == HEAD
    first = next(chunks)
    assert first.count(b'"type":"Feature"') == 2
    assert pgconn.transaction_status == pq.TransactionStatus.ACTIVE  # result not exhausted
    rest = list(chunks)
    assert pgconn.transaction_status == pq.TransactionStatus.INTRANS
    assert rest[-1] == TAIL and len(rest) == 4  # then 2 + 2 + 1 features, and the tail
    json.loads(b"".join([HEAD, first, *rest]))


def test_collection_chunks_pull_one_batch_at_a_time():
    """Only ``batch_rows`` features are taken from the source before a chunk is yielded."""
    pulled = 0

    def features():
        nonlocal pulled
        for n in range(7):
            pulled += 1
            yield json.dumps({"type": "Feature", "id": n, "geometry": None, "properties": {}})

    reports = []
    chunks = collection_chunks(features(), batch_rows=3,
                               progress=lambda *args: reports.append(args), total=7)
    assert next(chunks) == HEAD and pulled == 0
    second = next(chunks)
    assert pulled == 3 and reports == []  # reported once the consumer took the chunk
    rest = list(chunks)
    assert pulled == 7
    assert reports == [("writing", 3, 7), ("writing", 6, 7), ("writing", 7, 7)]
    document = json.loads(HEAD + second + b"".join(rest))
    assert [f["id"] for f in document["features"]] == list(range(7))
