"""Operators, routes, administrative units, structures and undergrounding plans.

Reads are open to every authenticated role; an operator's users see only their own operator's
rows (row-level security), so another operator's object is 404. Plans are written by planners and
administrators only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from api.deps import Planner, PrincipalDep, SessionDep
from api.problems import fields_at, problem_responses
from api.schemas.common import id_path, labelled, page_links
from api.schemas.network import (
    GEOJSON,
    AfterQuery,
    BBoxQuery,
    GeoJSONResponse,
    LimitQuery,
    NetworkKm,
    OperatorDetail,
    OperatorList,
    OperatorOut,
    PlanDetail,
    PlanIn,
    PlanList,
    PlanOut,
    PlanProgress,
    RouteDetail,
    RouteOut,
    RoutePage,
    StructureCollection,
    StructureDetail,
    UnitCollection,
    UnitFeature,
    geojson_page,
)
from gis.choices import AdminLevel, RouteTier, StructureKind
from gis.compliance.rules import local_today
from gis.queries import network, plans
from gis.queries.common import DEFAULT_LIMIT, feature_collection_json

router = APIRouter(tags=["network"])

OperatorCodes = Annotated[list[str] | None, Query(
    description="Operator code; repeat for several.", examples=[["VNPT"]])]
UnitAsOf = Annotated[date | None, Query(
    description="Pick the versions in force on this date (default: today, Vietnam time).",
    examples=["2024-12-31"])]
PlanId = id_path("plan", example=7)


# ---------------------------------------------------------------- operators

@router.get("/operators", response_model=OperatorList, summary="Operators",
            responses=problem_responses(401))
def list_operators(_: PrincipalDep, session: SessionDep) -> OperatorList:
    """Every operator by code (an operator's users see only their own)."""
    return OperatorList(items=[OperatorOut(**vars(o)) for o in network.list_operators(session)])


@router.get("/operators/{code}", response_model=OperatorDetail,
            summary="One operator with its routes and km",
            responses=problem_responses(401, 404))
def get_operator(
    _: PrincipalDep, session: SessionDep,
    code: Annotated[str, Path(description="Operator code (any case).", examples=["VNPT"])],
) -> OperatorDetail:
    """The operator with its number of routes, and its segments and km of active cable today by
    placement."""
    found = network.get_operator(session, code)
    return OperatorDetail(**vars(found.operator), routes=found.routes,
                          network=NetworkKm(**vars(found.network)))


# ---------------------------------------------------------------- routes

@router.get("/routes", response_model=RoutePage, summary="Cable routes",
            responses=problem_responses(401, 422))
def list_routes(
    _: PrincipalDep,
    session: SessionDep,
    request: Request,
    operator: OperatorCodes = None,
    tier: Annotated[labelled(RouteTier) | None, Query(examples=["trunk"])] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(
        description="Cursor: the last code of the previous page (take it from the `next` "
                    "link).", examples=["VNPT-01"])] = None,
) -> RoutePage:
    """Routes by code. Keyset pagination: follow the `next` link (absent on the last page)."""
    with fields_at("query"):
        page = network.list_routes(session, operators=tuple(operator or ()), tier=tier,
                                   limit=limit, after=after)
    return RoutePage(items=[RouteOut(**vars(r)) for r in page.routes],
                     numberReturned=len(page.routes), links=page_links(request, page.next_after))


@router.get("/routes/{code}", response_model=RouteDetail,
            summary="One route with its segments and km",
            responses=problem_responses(401, 404))
def get_route(
    _: PrincipalDep, session: SessionDep,
    code: Annotated[str, Path(description="Route code.", examples=["VNPT-S0001"])],
) -> RouteDetail:
    """The route with its segments and km of active cable today by placement."""
    found = network.get_route(session, code)
    return RouteDetail(**vars(found.route), network=NetworkKm(**vars(found.network)))


# ---------------------------------------------------------------- administrative units

@router.get(
    "/communes", response_model=UnitCollection,
    summary="Administrative units in force on a date (GeoJSON)",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 422),
)
def list_communes(
    _: PrincipalDep,
    session: SessionDep,
    request: Request,
    as_of: UnitAsOf = None,
    level: Annotated[labelled(AdminLevel) | None, Query(
        description="Only this level (province, district, commune).",
        examples=["commune"])] = None,
) -> Response:
    """The provinces, districts and communes in force on `as_of` (districts until 30/6/2025),
    as a GeoJSON FeatureCollection with their code, name, level, validity and parent's code."""
    features = network.list_units(session, as_of=as_of or local_today(), level=level)
    links = [link.model_dump(exclude_none=True) for link in page_links(request, None, GEOJSON)]
    body = feature_collection_json(features, numberReturned=len(features), links=links)
    return Response(content=body, media_type=GEOJSON)


@router.get(
    "/communes/{code}", response_model=UnitFeature,
    summary="One administrative unit (GeoJSON)",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 404, 422),
)
def get_commune(
    _: PrincipalDep,
    session: SessionDep,
    code: Annotated[str, Path(description="Unit code (2, 3 or 5 digits).", examples=["97002"])],
    as_of: UnitAsOf = None,
) -> Response:
    """The version of the unit in force on `as_of` (default today); 404 when none was."""
    feature = network.get_unit(session, code, as_of=as_of or local_today())
    return Response(content=UnitFeature.model_validate(feature).model_dump_json(),
                    media_type=GEOJSON)


# ---------------------------------------------------------------- structures

@router.get(
    "/structures", response_model=StructureCollection,
    summary="Poles, manholes and cabinets (GeoJSON)",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 422),
)
def list_structures(
    _: PrincipalDep,
    session: SessionDep,
    request: Request,
    bbox: BBoxQuery = None,
    kind: Annotated[labelled(StructureKind) | None, Query(examples=["pole"])] = None,
    operator: Annotated[list[str] | None, Query(
        description="Owner or sharer (operator code); repeat for several.",
        examples=[["EVN"]])] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    after: AfterQuery = 0,
) -> Response:
    """Structures by id as a GeoJSON FeatureCollection. Keyset pagination: follow the `next`
    link (absent on the last page)."""
    flt = network.StructureFilter(bbox=bbox, kind=kind, operators=tuple(operator or ()))
    with fields_at("query"):
        page = network.list_structures(session, flt, limit=limit, after=after)
    return geojson_page(request, page)


@router.get(
    "/structures/{structure_id}", response_model=StructureDetail,
    summary="One structure with its segments (GeoJSON)",
    response_class=GeoJSONResponse,
    responses=problem_responses(401, 404, 422),
)
def get_structure(
    _: PrincipalDep,
    session: SessionDep,
    structure_id: id_path("structure", bigint=True, example=412),
) -> Response:
    """The structure with the ids of the segments that start or end at it. 404 when it does not
    exist or is neither owned nor shared by your operator."""
    feature = network.get_structure(session, structure_id)
    return Response(content=StructureDetail.model_validate(feature).model_dump_json(),
                    media_type=GEOJSON)


# ---------------------------------------------------------------- plans

def _plan_detail(session: Session, plan_id: int) -> PlanDetail:
    progress = plans.plan_progress(session, plan_id)
    return PlanDetail(**vars(plans.get_plan(session, plan_id)),
                      progress=PlanProgress(**vars(progress)))


def _plan_input(body: PlanIn) -> plans.PlanInput:
    return plans.PlanInput(
        year=body.year, name=body.name, commune=body.commune, operator=body.operator,
        target_km=body.target_km, legal_basis=body.legal_basis, note=body.note,
        routes=tuple(body.routes),
    )


@router.get("/plans", response_model=PlanList, summary="Undergrounding plans",
            responses=problem_responses(401, 422))
def list_plans(
    _: PrincipalDep,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, examples=[2025])] = None,
    commune: Annotated[str | None, Query(description="Commune code (any version).",
                                         examples=["97002"])] = None,
    operator: Annotated[str | None, Query(description="Operator code.", examples=["VNPT"])]
    = None,
) -> PlanList:
    """Plans by year and name, with their km target and routes."""
    with fields_at("query"):
        found = plans.list_plans(session, year=year, commune=commune, operator=operator)
    return PlanList(items=[PlanOut(**vars(p)) for p in found])


@router.get("/plans/{plan_id}", response_model=PlanDetail,
            summary="One plan with its progress", responses=problem_responses(401, 404, 422))
def get_plan(_: PrincipalDep, session: SessionDep, plan_id: PlanId) -> PlanDetail:
    """The plan with the km of its scope at the end of its year (or today): active, underground,
    and moved underground during the year (`achieved_km`). For an operator's user the km count
    only that operator's own cable, also in a commune's plan."""
    return _plan_detail(session, plan_id)


@router.post("/plans", response_model=PlanDetail, status_code=201, summary="Create a plan",
             responses=problem_responses(401, 403, 409, 422))
def create_plan(_: Planner, session: SessionDep, body: PlanIn) -> PlanDetail:
    """Create a plan. Unknown codes are 422 naming the field (`body.routes[2]`); a second plan
    of the same year and name is 409. Planners and administrators only."""
    with fields_at("body"):
        plan_id = plans.create_plan(session, _plan_input(body))
    return _plan_detail(session, plan_id)


@router.put("/plans/{plan_id}", response_model=PlanDetail, summary="Replace a plan",
            responses=problem_responses(401, 403, 404, 409, 422))
def replace_plan(_: Planner, session: SessionDep, plan_id: PlanId, body: PlanIn) -> PlanDetail:
    """Replace every field and the route list of a plan. Planners and administrators only."""
    with fields_at("body"):
        plans.replace_plan(session, plan_id, _plan_input(body))
    return _plan_detail(session, plan_id)


@router.delete("/plans/{plan_id}", status_code=204, summary="Delete a plan",
               responses=problem_responses(401, 403, 404, 422))
def delete_plan(_: Planner, session: SessionDep, plan_id: PlanId) -> Response:
    """Delete a plan and its route links. Planners and administrators only."""
    plans.delete_plan(session, plan_id)
    return Response(status_code=204)
