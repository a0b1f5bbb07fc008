"""The OpenAPI 3.0 document of the OGC API (``/ogc/api``): the paths, their parameters (with
``limit``'s default and maximum, which clients such as GDAL read) and response types."""

from __future__ import annotations

from typing import Any

from gis.ogc.collections import COLLECTIONS
from gis.ogc.crs import CRS84, SUPPORTED
from gis.ogc.params import DEFAULT_LIMIT, MAX_LIMIT


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, "style": "form", "explode": False, **extra}


def _response(description: str, media_type: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "object"}}}}


_CRS_ENUM = {"type": "string", "format": "uri", "enum": [crs.uri for crs in SUPPORTED],
             "default": CRS84.uri}
_PROBLEM = {"description": "A problem (RFC 9457) naming the parameter at fault.",
            "content": {"application/problem+json": {"schema": {"type": "object"}}}}

ITEMS_PARAMETERS = [
    _query("bbox", "minX,minY,maxX,maxY in bbox-crs (default CRS84: lon/lat).",
           {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}),
    _query("bbox-crs", "CRS of bbox.", _CRS_ENUM),
    _query("limit", "Features per page.", {"type": "integer", "minimum": 1,
                                            "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    _query("datetime", "Instant or interval (RFC 3339; '..' open). Segments: their state on "
                       "that date; communes: in force; visits, violations: visited/found then.",
           {"type": "string"}),
    _query("crs", "CRS of the response geometry.", _CRS_ENUM),
    _query("filter", "CQL2 text filter over the queryables.", {"type": "string"}),
    _query("filter-lang", "Filter language.", {"type": "string", "enum": ["cql2-text"],
                                                "default": "cql2-text"}),
    _query("filter-crs", "CRS of the filter's geometries.", _CRS_ENUM),
    _query("after", "Keyset cursor (from a next link).", {"type": "integer"}),
    _query("before", "Keyset cursor (from a prev link).", {"type": "integer"}),
]


def openapi_document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document; ``base`` is the API root URL."""
    errors = {"400": _PROBLEM, "401": _PROBLEM}
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage",
                      "responses": {"200": _response("Landing page"), **errors}}},
        "/conformance": {"get": {"summary": "Conformance classes",
                                 "operationId": "getConformance",
                                 "responses": {"200": _response("Conformance"), **errors}}},
        "/api": {"get": {"summary": "This document", "operationId": "getApi",
                         "responses": {"200": _response(
                             "OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0")}}},
        "/collections": {"get": {"summary": "Collections", "operationId": "getCollections",
                                 "responses": {"200": _response("Collections"), **errors}}},
    }
    for cid in COLLECTIONS:
        paths[f"/collections/{cid}"] = {"get": {
            "summary": f"The collection {cid}", "operationId": f"describe_{cid}",
            "responses": {"200": _response("Collection"), **errors}}}
        paths[f"/collections/{cid}/queryables"] = {"get": {
            "summary": f"Queryables of {cid}", "operationId": f"queryables_{cid}",
            "responses": {"200": _response("JSON Schema", "application/schema+json"),
                          **errors}}}
        paths[f"/collections/{cid}/items"] = {"get": {
            "summary": f"Features of {cid}", "operationId": f"items_{cid}",
            "parameters": ITEMS_PARAMETERS,
            "responses": {"200": _response("Features", "application/geo+json"), **errors}}}
        paths[f"/collections/{cid}/items/{{featureId}}"] = {"get": {
            "summary": f"One feature of {cid}", "operationId": f"item_{cid}",
            "parameters": [
                {"name": "featureId", "in": "path", "required": True,
                 "schema": {"type": "integer"}},
                _query("crs", "CRS of the response geometry.", _CRS_ENUM)],
            "responses": {"200": _response("Feature", "application/geo+json"), "404": _PROBLEM,
                          **errors}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "telecom-gis OGC API - Features", "version": "1.0.0",
                 "description": "Needs a bearer token (Authorization: Bearer <token>)."},
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
