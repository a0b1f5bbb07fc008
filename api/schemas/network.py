"""The network on the wire: segments, structures and administrative units as GeoJSON (RFC 7946:
WGS 84 longitude/latitude, no ``crs`` member, 7 decimals), and operators, routes and plans as
JSON. Lengths and distances are geodesic metres (``_m``) or kilometres (``_km``).

Also the query parameters the network routes share (bounding box, page size, cursor) and the
GeoJSON page response with its links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Link, PointGeometry, labelled, page_links
from gis.choices import (
    AdminLevel,
    ComplianceState,
    ItemResult,
    Lifecycle,
    OperatorKind,
    Placement,
    PlacementKind,
    RouteTier,
    Severity,
    StructureKind,
    ViolationState,
)
from gis.queries.common import MAX_LIMIT, BBox, FeaturePage, feature_collection_json

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """A JSON response served as ``application/geo+json`` (RFC 7946)."""

    media_type = GEOJSON

Position = Annotated[list[float], Field(min_length=2, max_length=3)]


class LineStringGeometry(BaseModel):
    """A GeoJSON LineString in WGS 84 longitude/latitude."""

    type: Literal["LineString"] = "LineString"
    coordinates: list[Position] = Field(
        min_length=2, examples=[[[106.33, 20.45], [106.3405, 20.45]]])


class MultiPolygonGeometry(BaseModel):
    """A GeoJSON MultiPolygon in WGS 84 longitude/latitude."""

    type: Literal["MultiPolygon"] = "MultiPolygon"
    coordinates: list[list[list[Position]]] = Field(
        examples=[[[[[106.3, 20.4], [106.4, 20.4], [106.4, 20.5], [106.3, 20.5], [106.3, 20.4]]]]])


class Page(BaseModel):
    """Keyset pagination members: how many came back, and the ``self`` / ``next`` links (the
    ``next`` link keeps every filter; there is none on the last page)."""

    numberReturned: int = Field(examples=[100])
    links: list[Link] = Field(examples=[[
        {"rel": "self", "href": "http://127.0.0.1:8000/segments?limit=100",
         "type": GEOJSON},
        {"rel": "next", "href": "http://127.0.0.1:8000/segments?limit=100&after=1234",
         "type": GEOJSON},
    ]])


# ---------------------------------------------------------------- segments

class SegmentProperties(BaseModel):
    """A segment on the ``as_of`` date: its state from the history, its compliance state then."""

    route: str | None = Field(examples=["VNPT-LTK-01"], description="Route code.")
    operator: str | None = Field(examples=["VNPT"], description="Operator code.")
    commune_code: str | None = Field(
        examples=["97002"],
        description="Commune the database stored for the segment (in force when it was stored, "
                    "containing its midpoint).")
    commune_name: str | None = Field(examples=["Phường Bồ Xuyên"])
    placement: labelled(Placement) = Field(examples=["overhead"])
    placement_kind: labelled(PlacementKind) = Field(examples=["aerial"])
    tidied: bool = Field(examples=[False])
    lifecycle: labelled(Lifecycle) = Field(examples=["active"])
    state_since: date = Field(examples=["2021-06-15"],
                              description="Date of the state row in force on `as_of`.")
    length_m: float = Field(examples=[118.42], description="Geodesic length, metres.")
    compliance: labelled(ComplianceState) = Field(examples=["not_inspected"])


class SegmentFeature(BaseModel):
    """A cable segment as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int = Field(examples=[1234])
    geometry: LineStringGeometry
    properties: SegmentProperties


class SegmentCollection(Page):
    """A page of segments as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[SegmentFeature]


class StateRow(BaseModel):
    """One dated state of a segment (append-only history)."""

    effective_date: date = Field(examples=["2023-05-10"])
    placement: labelled(Placement) = Field(examples=["underground"])
    placement_kind: labelled(PlacementKind) = Field(examples=["duct"])
    tidied: bool = Field(examples=[False])
    lifecycle: labelled(Lifecycle) = Field(examples=["active"])
    source: str = Field(examples=["sample:thai_binh_demo"])
    recorded_by: str = Field(examples=["user:thanhtra.nguyen"])
    recorded_at: datetime = Field(examples=["2023-05-12T09:30:00+07:00"])
    note: str | None = Field(examples=["moved into the new duct"])


class ResultCounts(BaseModel):
    """How many checklist items of a visit passed, failed, were not checked."""

    model_config = ConfigDict(populate_by_name=True)

    passed: int = Field(alias="pass", examples=[9])
    fail: int = Field(examples=[1])
    not_checked: int = Field(examples=[2])


class VisitSummary(BaseModel):
    """One visit to the segment. ``complete`` is true once every announced photo arrived."""

    id: int = Field(examples=[310])
    visited_at: datetime = Field(examples=["2023-04-12T09:15:00+07:00"])
    inspector: str | None = Field(examples=["thanhtra.nguyen"], description="Username.")
    campaign: str | None = Field(examples=["KT-2023-04"], description="Campaign code.")
    results: ResultCounts
    photos_expected: int = Field(examples=[2])
    photos_received: int = Field(examples=[2])
    complete: bool = Field(examples=[True])
    corrects_id: int | None = Field(examples=[None], description="The visit this one corrects.")
    corrected_by_id: int | None = Field(examples=[None],
                                        description="The visit that corrects this one.")


class OpenViolation(BaseModel):
    """A violation not yet closed or withdrawn; ``overdue`` when its due date has passed."""

    id: int = Field(examples=[77])
    item: str = Field(examples=["C2"], description="Checklist item code.")
    text_vi: str = Field(examples=["Có biển báo độ cao tại điểm giao cắt"])
    text_en: str = Field(examples=["Height warning sign at crossings"])
    severity: labelled(Severity) = Field(examples=["major"])
    found_at: datetime = Field(examples=["2023-04-12T09:15:00+07:00"])
    due_on: date = Field(examples=["2023-05-12"])
    state: labelled(ViolationState) = Field(examples=["open"])
    overdue: bool = Field(examples=[True])


class SegmentDetailProperties(SegmentProperties):
    """A segment today, with its whole history, its visits and its open violations."""

    history: list[StateRow]
    visits: list[VisitSummary]
    open_violations: list[OpenViolation]


class SegmentDetail(BaseModel):
    """One segment as a GeoJSON Feature with history, visits and open violations."""

    type: Literal["Feature"] = "Feature"
    id: int = Field(examples=[1234])
    geometry: LineStringGeometry
    properties: SegmentDetailProperties

    @classmethod
    def of(cls, feature: dict) -> SegmentDetail:
        """From :func:`gis.queries.segments.get_segment`'s feature."""
        props = feature["properties"]
        props["visits"] = [
            {**visit, "results": {name.value: visit[name.value] for name in ItemResult}}
            for visit in props["visits"]
        ]
        return cls.model_validate(feature)


class NearSegment(BaseModel):
    """A segment near the point, in its current state, with its geodesic distance."""

    id: int = Field(examples=[1234])
    route: str | None = Field(examples=["VNPT-LTK-01"])
    operator: str | None = Field(examples=["VNPT"])
    placement: labelled(Placement) = Field(examples=["overhead"])
    placement_kind: labelled(PlacementKind) = Field(examples=["aerial"])
    tidied: bool = Field(examples=[False])
    lifecycle: labelled(Lifecycle) = Field(examples=["active"])
    distance_m: float = Field(examples=[3.62], description="Geodesic metres from the point.")
    length_m: float = Field(examples=[118.42], description="Geodesic length, metres.")
    geometry: LineStringGeometry


class NearSegments(BaseModel):
    """The segments nearest a point, nearest first."""

    lon: float = Field(examples=[106.3402])
    lat: float = Field(examples=[20.4501])
    radius_m: float = Field(examples=[50])
    items: list[NearSegment]


# ---------------------------------------------------------------- operators and routes

class NetworkKm(BaseModel):
    """Segments (all, active) and km of active cable today by placement."""

    segments: int = Field(examples=[812])
    active_segments: int = Field(examples=[790])
    total_km: float = Field(examples=[38.2])
    overhead_km: float = Field(examples=[33.9])
    overhead_tidied_km: float = Field(examples=[12.5])
    underground_km: float = Field(examples=[4.3])


class OperatorOut(BaseModel):
    """An operator."""

    code: str = Field(examples=["VNPT"])
    name: str = Field(examples=["Viễn thông Thái Bình (VNPT)"])
    kind: labelled(OperatorKind) = Field(examples=["telecom"])


class OperatorList(BaseModel):
    """Operators by code."""

    items: list[OperatorOut]


class OperatorDetail(OperatorOut):
    """An operator with its routes and cable today."""

    routes: int = Field(examples=[52])
    network: NetworkKm


class RouteOut(BaseModel):
    """A cable route."""

    code: str = Field(examples=["VNPT-LTK-01"])
    name: str | None = Field(examples=["Lý Thường Kiệt trục chính"])
    operator: str | None = Field(examples=["VNPT"])
    street: str | None = Field(examples=["Lý Thường Kiệt"])
    tier: labelled(RouteTier) = Field(examples=["trunk"])


class RoutePage(Page):
    """A page of routes by code."""

    items: list[RouteOut]


class RouteDetail(RouteOut):
    """A route with its segments and km today."""

    network: NetworkKm


# ---------------------------------------------------------------- administrative units

class UnitProperties(BaseModel):
    """A version of an administrative unit; ``valid_to`` is exclusive (null: in force)."""

    code: str = Field(examples=["97002"])
    name: str = Field(examples=["Phường Bồ Xuyên"])
    level: labelled(AdminLevel) = Field(examples=["commune"])
    valid_from: date = Field(examples=["2025-07-01"])
    valid_to: date | None = Field(examples=[None])
    parent_code: str | None = Field(examples=["33"])


class UnitFeature(BaseModel):
    """An administrative unit as a GeoJSON Feature (id = code)."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(examples=["97002"])
    geometry: MultiPolygonGeometry
    properties: UnitProperties


class UnitCollection(BaseModel):
    """Administrative units in force on a date, as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[UnitFeature]
    numberReturned: int = Field(examples=[12])
    links: list[Link]


# ---------------------------------------------------------------- structures

class StructureProperties(BaseModel):
    """A pole, manhole or cabinet; ``owner`` and ``shared_by`` are operator codes (an operator
    user sees only its own code among them)."""

    code: str | None = Field(examples=["EVN-P-00412"])
    kind: labelled(StructureKind) = Field(examples=["pole"])
    owner: str | None = Field(examples=["EVN"])
    shared_by: list[str] = Field(examples=[["VNPT", "VIETTEL"]])
    note: str | None = Field(examples=[None])


class StructureFeature(BaseModel):
    """A structure as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int = Field(examples=[412])
    geometry: PointGeometry
    properties: StructureProperties


class StructureCollection(Page):
    """A page of structures as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[StructureFeature]


class StructureDetailProperties(StructureProperties):
    """A structure with the segments that start or end at it."""

    segments: list[int] = Field(examples=[[1234, 1235]])


class StructureDetail(BaseModel):
    """One structure as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int = Field(examples=[412])
    geometry: PointGeometry
    properties: StructureDetailProperties


# ---------------------------------------------------------------- plans

class PlanIn(BaseModel):
    """An undergrounding plan as a planner writes it: a year, a commune and/or an operator
    (codes), a km target and/or routes (codes; each must exist and, when the plan names an
    operator, belong to it)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"year": 2024, "name": "Ngầm hóa 2024 - Phường Bồ Xuyên", "commune": "97002",
             "target_km": 2.5, "legal_basis": "KH số …/KH-UBND", "routes": []},
            {"year": 2026, "name": "Ngầm hóa 2026 - VNPT", "operator": "VNPT",
             "routes": ["VNPT-S0001", "VNPT-S0002"]},
        ]},
    )

    year: int = Field(ge=2000, le=2100, examples=[2026])
    name: str = Field(min_length=1, max_length=300, examples=["Ngầm hóa 2026 - VNPT"])
    commune: str | None = Field(default=None, pattern=r"^[0-9]{5}$", examples=["97002"],
                                description="Code of a commune in force during the year.")
    operator: str | None = Field(default=None, max_length=16, examples=["VNPT"])
    target_km: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=3,
                                      examples=[2.5])
    legal_basis: str | None = Field(default=None, max_length=2000,
                                    examples=["KH số 49/KH-UBND ngày 24/3/2025"])
    note: str | None = Field(default=None, max_length=2000, examples=[None])
    routes: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default=[], max_length=2000, examples=[["VNPT-LTK-01"]])


class PlanOut(BaseModel):
    """A stored plan."""

    id: int = Field(examples=[7])
    year: int = Field(examples=[2026])
    name: str = Field(examples=["Ngầm hóa 2026 - VNPT"])
    commune_code: str | None = Field(examples=["97002"])
    commune_name: str | None = Field(examples=["Phường Bồ Xuyên"])
    operator: str | None = Field(examples=["VNPT"])
    target_km: float | None = Field(examples=[2.5])
    legal_basis: str | None = Field(examples=["KH số 49/KH-UBND ngày 24/3/2025"])
    note: str | None = Field(examples=[None])
    routes: list[str] = Field(examples=[["VNPT-LTK-01"]])


class PlanList(BaseModel):
    """Plans by year and name."""

    items: list[PlanOut]


class PlanProgress(BaseModel):
    """The plan's scope at the end of its year (or today, if earlier): km of active cable,
    km underground, and km moved underground during the year (``achieved_km``, to compare
    with ``target_km``)."""

    as_of: date = Field(examples=["2025-12-31"])
    scope_km: float = Field(examples=[14.2])
    underground_km: float = Field(examples=[3.1])
    achieved_km: float = Field(examples=[1.8])


class PlanDetail(PlanOut):
    """A plan with its progress."""

    progress: PlanProgress


# ---------------------------------------------------------------- query parameters, pages

def _bbox(value: str | None) -> BBox | None:
    return None if value is None else BBox.parse(value)


BBoxQuery = Annotated[str | None, AfterValidator(_bbox), Query(
    description="Only features intersecting this box: `minLon,minLat,maxLon,maxLat` "
                "(EPSG:4326 degrees).", examples=["106.33,20.44,106.35,20.46"])]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.",
                                  examples=[100])]
AfterQuery = Annotated[int, Query(
    ge=0, description="Cursor: the last id of the previous page (take it from the `next` "
                      "link).", examples=[1234])]


def geojson_page(request: Request, page: FeaturePage) -> Response:
    """The ``application/geo+json`` FeatureCollection response of ``page``, with a ``self`` link
    and, when more rows follow, a ``next`` link that keeps every query parameter."""
    links = page_links(request, page.next_after, GEOJSON)
    body = feature_collection_json(
        page.features, numberReturned=len(page.features),
        links=[link.model_dump(exclude_none=True) for link in links])
    return Response(content=body, media_type=GEOJSON)
