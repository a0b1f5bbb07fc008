"""The JSON documents of the API: landing page, conformance, collections (with their spatial
and temporal extents from the data) and queryables (JSON Schema). ``base`` is the API's root
URL (``http://host/ogc``), from which every link is built."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compliance.rules import LOCAL_TZ
from gis.ogc.collections import COLLECTIONS, Collection
from gis.ogc.crs import CRS84, SUPPORTED

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
)


def _link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media_type}
    if title:
        link["title"] = title
    return link


def landing(base: str) -> dict[str, Any]:
    """The landing page: links to itself, the OpenAPI document, conformance and collections."""
    return {
        "title": "telecom-gis OGC API - Features",
        "description": "The province's telecom cable network, inspections and violations.",
        "links": [
            _link(base, "self", JSON, "This document"),
            _link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            _link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            _link(f"{base}/collections", "data", JSON, "The collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance classes implemented."""
    return {"conformsTo": list(CONFORMANCE)}


#: Tables estimated to hold fewer rows than this get their exact extent (``ST_Extent`` over the
#: rows the caller may see); bigger ones the planner's estimate (``ST_EstimatedExtent``, from
#: the last ANALYZE, over the whole table), which costs nothing where a scan would take
#: seconds.
EXACT_EXTENT_BELOW = 100_000


def _extents_sql() -> str:
    parts = []
    for collection in COLLECTIONS.values():
        table, column = collection.extent_table
        exact = f"(SELECT ST_Extent({column}) FROM {table})"
        box = (f"CASE WHEN (SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass)"
               f" < {EXACT_EXTENT_BELOW} THEN {exact}"
               f" ELSE coalesce(ST_EstimatedExtent('{table}', '{column}'), {exact}) END")
        parts.append("(SELECT ARRAY[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)]"
                     f" FROM (SELECT {box} AS b) e) AS \"{collection.id}_bbox\"")
        if collection.temporal_extent:
            parts.append(f"(SELECT ARRAY[first, last] FROM ({collection.temporal_extent})"
                         f" t(first, last)) AS \"{collection.id}_time\"")
    return "SELECT " + ",\n       ".join(parts)


def _rfc3339(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, ZoneInfo(LOCAL_TZ))
    return value.isoformat()


def extents(session: Session) -> dict[str, dict[str, Any]]:
    """The ``extent`` of each collection: the bbox of its data (CRS84; exact for tables under
    :data:`EXACT_EXTENT_BELOW` rows, else estimated from the planner's statistics) and, where
    it has dates, its time span."""
    row = session.execute(text(_extents_sql())).one()._mapping
    found: dict[str, dict[str, Any]] = {}
    for collection in COLLECTIONS.values():
        extent: dict[str, Any] = {}
        bbox = row[f"{collection.id}_bbox"]
        if bbox and None not in bbox:
            extent["spatial"] = {"bbox": [[round(v, 7) for v in bbox]], "crs": CRS84.uri}
        if collection.temporal_extent:
            first, last = (list(row[f"{collection.id}_time"]) + [None, None])[:2]
            if first is not None:
                extent["temporal"] = {
                    "interval": [[_rfc3339(first), _rfc3339(last)]],
                    "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
        found[collection.id] = extent
    return found


def collection_document(base: str, collection: Collection, extent: dict[str, Any]
                        ) -> dict[str, Any]:
    """One collection's description, with links to its items and queryables."""
    href = f"{base}/collections/{collection.id}"
    document: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "links": [
            _link(href, "self", JSON, collection.title),
            _link(f"{href}/items", "items", GEOJSON, f"{collection.title} (GeoJSON)"),
            _link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                  SCHEMA, "Queryable properties"),
        ],
        "crs": [crs.uri for crs in SUPPORTED],
        "storageCrs": CRS84.uri,
    }
    if extent:
        document["extent"] = extent
    return document


def collections_document(session: Session, base: str) -> dict[str, Any]:
    """Every collection with its extent."""
    found = extents(session)
    return {
        "links": [_link(f"{base}/collections", "self", JSON, "The collections")],
        "collections": [collection_document(base, c, found[c.id]) for c in COLLECTIONS.values()],
        "crs": [crs.uri for crs in SUPPORTED],
    }


def queryables(base: str, collection: Collection) -> dict[str, Any]:
    """The queryable properties of ``collection`` as a JSON Schema (Part 3)."""
    properties: dict[str, Any] = {
        "geometry": {"$ref": "https://geojson.org/schema/"
                     f"{collection.geometry_type}.json", "x-ogc-role": "primary-geometry"},
    }
    for prop in collection.properties:
        schema: dict[str, Any] = {"title": prop.name, "description": prop.description,
                                  "type": prop.type}
        if prop.format:
            schema["format"] = prop.format
        properties[prop.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/queryables",
        "type": "object",
        "title": collection.title,
        "properties": properties,
        "additionalProperties": False,
    }
