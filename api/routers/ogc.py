"""OGC API - Features under ``/ogc`` (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 2 CRS; Part 3
CQL2-text filtering) for GIS clients: QGIS, GDAL's OAPIF driver, OWSLib.

Any authenticated role reads; an operator's users see only their own operator's rows
(row-level security). The documents and the SQL are built in :mod:`gis.ogc`; a bad parameter is
a 400 problem naming it (``query.bbox``, ``query.filter`` ...)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ReadPrincipalDep, ReadSessionDep, SettingsDep, TokenDep
from api.problems import FieldProblem, ProblemError, problem_responses
from api.schemas.common import INT8_MAX
from gis.auth import sign_in
from gis.errors import NotFoundError, ValidationFailed, invalid
from gis.ogc import cql2, documents, items, openapi, params
from gis.ogc.collections import COLLECTIONS, Collection
from gis.ogc.crs import OgcCrs, parse_crs

router = APIRouter(prefix="/ogc", tags=["ogc"])

CollectionId = Annotated[str, Path(alias="collectionId", description="Collection id.",
                                   examples=["segments"])]
ITEMS_PARAMETERS = frozenset({"bbox", "bbox-crs", "limit", "datetime", "crs", "filter",
                              "filter-lang", "filter-crs", "after", "before", "f"})


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


@contextmanager
def _bad_request() -> Iterator[None]:
    """A parameter refused by :mod:`gis.ogc` becomes a 400 problem naming it."""
    try:
        yield
    except ValidationFailed as exc:
        errors = [FieldProblem(field=f"query.{p.field}", detail=p.reason) for p in exc.problems]
        raise ProblemError(400, str(exc), kind="invalid-parameter", errors=errors) from exc


def _collection(collection_id: str) -> Collection:
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFoundError(f"no collection {collection_id!r}; collections: "
                            + ", ".join(COLLECTIONS))
    return found


def _geojson(body: str, crs: OgcCrs) -> Response:
    """A GeoJSON response whose ``Content-Crs`` header names the CRS of its coordinates."""
    return Response(body, media_type=documents.GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})


def _check_parameters(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise invalid(unknown[0], f"unknown query parameter {unknown[0]!r}; this path takes "
                                  + ", ".join(sorted(allowed)))
    if request.query_params.get("f", "json") not in ("json", "geojson"):
        raise invalid("f", "only f=json (GeoJSON) is served")


@router.get("", summary="OGC API landing page", responses=problem_responses(401))
def landing(_: ReadPrincipalDep, request: Request) -> JSONResponse:
    """Links to the API definition, the conformance classes and the collections."""
    return JSONResponse(documents.landing(_base(request)))


@router.get("/conformance", summary="OGC conformance classes",
            responses=problem_responses(401))
def conformance(_: ReadPrincipalDep) -> JSONResponse:
    """The OGC API - Features and CQL2 conformance classes implemented."""
    return JSONResponse(documents.conformance())


class OpenApiResponse(JSONResponse):
    """JSON sent (and documented) as an OpenAPI 3.0 definition."""

    media_type = documents.OPENAPI


class JsonSchemaResponse(JSONResponse):
    """JSON sent (and documented) as a JSON Schema."""

    media_type = documents.SCHEMA


@router.get("/api", summary="OpenAPI 3.0 definition of the OGC API",
            response_class=OpenApiResponse, responses=problem_responses(401))
def api_definition(_: ReadPrincipalDep, request: Request) -> JSONResponse:
    """The OGC API's own OpenAPI 3.0 document (service-desc of the landing page)."""
    return OpenApiResponse(openapi.openapi_document(_base(request)))


@router.get("/collections", summary="OGC collections with their extents",
            responses=problem_responses(401))
def collections(
    _: ReadPrincipalDep, session: ReadSessionDep, request: Request,
) -> JSONResponse:
    """The six collections with their spatial and temporal extents and CRSs."""
    return JSONResponse(documents.collections_document(session, _base(request)))


@router.get("/collections/{collectionId}", summary="One OGC collection",
            responses=problem_responses(401, 404))
def collection(
    _: ReadPrincipalDep, session: ReadSessionDep, request: Request,
    collection_id: CollectionId,
) -> JSONResponse:
    """The collection's description, extent and links."""
    found = _collection(collection_id)
    extent = documents.extents(session)[found.id]
    return JSONResponse(documents.collection_document(_base(request), found, extent))


@router.get("/collections/{collectionId}/queryables", summary="Queryables (JSON Schema)",
            response_class=JsonSchemaResponse, responses=problem_responses(401, 404))
def queryables(
    _: ReadPrincipalDep, request: Request, collection_id: CollectionId,
) -> JSONResponse:
    """The properties a CQL2 filter may use, as a JSON Schema."""
    found = _collection(collection_id)
    return JsonSchemaResponse(documents.queryables(_base(request), found))


@router.get("/collections/{collectionId}/items", summary="Features (GeoJSON)",
            response_class=Response, responses=problem_responses(400, 401, 404))
def list_items(
    token: TokenDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    request: Request,
    collection_id: CollectionId,
    bbox: Annotated[str | None, Query(description="minX,minY,maxX,maxY in bbox-crs.",
                                      examples=["106.33,20.44,106.34,20.45"])] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox.")] = None,
    limit: Annotated[str | None, Query(description=f"Features per page (default "
                                       f"{params.DEFAULT_LIMIT}, at most {params.MAX_LIMIT})."
                                       )] = None,
    datetime: Annotated[str | None, Query(description="Instant or interval (RFC 3339).")] = None,
    crs: Annotated[str | None, Query(description="CRS of the response geometry.")] = None,
    filter: Annotated[str | None, Query(description="CQL2 text filter.")] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
    after: Annotated[str | None, Query(description="Cursor of a next link.")] = None,
    before: Annotated[str | None, Query(description="Cursor of a prev link.")] = None,
) -> Response:
    """Features by id as a GeoJSON FeatureCollection, `limit` at a time; follow the `next`
    (or `prev`) link. Segments carry their state on the `datetime` date (default today)."""
    principal = sign_in(session, token)  # here, in the route's thread (see TokenDep)
    found = _collection(collection_id)
    with _bad_request():
        _check_parameters(request, ITEMS_PARAMETERS)
        out_crs = parse_crs(crs, "crs")
        if filter_lang not in (None, "cql2-text"):
            raise invalid("filter-lang", "only cql2-text is supported")
        condition = None
        if filter is not None:
            condition = cql2.translate(filter, found, parse_crs(filter_crs, "filter-crs"),
                                       scoped=principal.is_operator)
        query = items.ItemsQuery(
            bbox=params.parse_bbox(bbox, parse_crs(bbox_crs, "bbox-crs")),
            when=params.parse_datetime(datetime), crs=out_crs, filter=condition,
            limit=params.parse_limit(limit), after=params.parse_cursor(after, "after") or 0,
            before=params.parse_cursor(before, "before"), scoped=principal.is_operator)
        if query.before is not None and after is not None:
            raise invalid("before", "give after (a next link) or before (a prev link), not both")
        page = items.list_items(session, found, query,
                                stale_after_days=settings.stale_after_days)
    links = [{"href": str(request.url), "rel": "self", "type": documents.GEOJSON},
             {"href": f"{_base(request)}/collections/{found.id}", "rel": "collection",
              "type": documents.JSON}]
    for rel, cursor, value in (("next", "after", page.next_after),
                               ("prev", "before", page.prev_before)):
        if value is not None:
            href = request.url.remove_query_params(["after", "before"])
            links.append({"href": str(href.include_query_params(**{cursor: value})),
                          "rel": rel, "type": documents.GEOJSON})
    body = items.with_members(
        '{"type":"FeatureCollection","features":[' + page.features + "]}",
        numberReturned=page.returned, timeStamp=items.timestamp(), links=links)
    session.commit()  # here, in this thread: one thread-pool hop less than the dependency's
    return _geojson(body, out_crs)


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature (GeoJSON)",
            response_class=Response, responses=problem_responses(400, 401, 404))
def get_item(
    token: TokenDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    request: Request,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(alias="featureId", description="The feature's id.")],
    crs: Annotated[str | None, Query(description="CRS of the response geometry.")] = None,
) -> Response:
    """One feature (segments: today's state); 404 when it does not exist or is not yours."""
    sign_in(session, token)  # here, in the route's thread (see TokenDep)
    found = _collection(collection_id)
    with _bad_request():
        _check_parameters(request, frozenset({"crs", "f"}))
        out_crs = parse_crs(crs, "crs")
    if not feature_id.isdigit() or int(feature_id) > INT8_MAX:
        raise NotFoundError(f"{found.id} has no feature {feature_id!r}")
    feature = items.get_item(session, found, int(feature_id), out_crs,
                             stale_after_days=settings.stale_after_days)
    href = f"{_base(request)}/collections/{found.id}"
    body = items.with_members(feature, links=[
        {"href": str(request.url), "rel": "self", "type": documents.GEOJSON},
        {"href": href, "rel": "collection", "type": documents.JSON}])
    session.commit()  # here, in this thread: one thread-pool hop less than the dependency's
    return _geojson(body, out_crs)
