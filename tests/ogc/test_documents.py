"""Landing page, conformance, OpenAPI document, collections and queryables."""

from __future__ import annotations

from gis.ogc.collections import COLLECTIONS
from tests.ogc.helpers import problem_field

COLLECTION_IDS = ["segments", "routes", "structures", "communes", "visits", "violations"]


def test_landing_page_links_to_the_api_conformance_and_data(client, ogc):
    response = client.get("/ogc", headers=ogc.auth("planner"))
    assert response.status_code == 200
    links = {link["rel"]: link for link in response.json()["links"]}
    assert links["self"]["href"] == "http://testserver/ogc"
    assert links["service-desc"]["href"] == "http://testserver/ogc/api"
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["conformance"]["href"] == "http://testserver/ogc/conformance"
    assert links["data"]["href"] == "http://testserver/ogc/collections"


def test_every_document_needs_a_token(client, ogc):
    for path in ("/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections",
                 "/ogc/collections/segments/items"):
        assert client.get(path).status_code == 401, path


def test_conformance_declares_core_geojson_oas30_crs_and_cql2(client, ogc):
    response = client.get("/ogc/conformance", headers=ogc.auth("vnpt"))
    classes = set(response.json()["conformsTo"])
    base = "http://www.opengis.net/spec/"
    assert {
        base + "ogcapi-features-1/1.0/conf/core", base + "ogcapi-features-1/1.0/conf/geojson",
        base + "ogcapi-features-1/1.0/conf/oas30", base + "ogcapi-features-2/1.0/conf/crs",
        base + "ogcapi-features-3/1.0/conf/filter",
        base + "ogcapi-features-3/1.0/conf/features-filter",
        base + "cql2/1.0/conf/cql2-text", base + "cql2/1.0/conf/basic-cql2",
        base + "cql2/1.0/conf/basic-spatial-functions",
    } <= classes
    assert not any("cql2-json" in c or "temporal" in c for c in classes)


def test_openapi_document_is_3_0_with_every_items_path(client, ogc):
    response = client.get("/ogc/api", headers=ogc.auth("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    for cid in COLLECTION_IDS:
        items = document["paths"][f"/collections/{cid}/items"]["get"]
        limit = next(p for p in items["parameters"] if p["name"] == "limit")
        assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000,
                                   "default": 10}
        assert f"/collections/{cid}/items/{{featureId}}" in document["paths"]


def test_collections_list_the_six_with_extent_and_crs(client, ogc):
    response = client.get("/ogc/collections", headers=ogc.auth("inspector"))
    assert response.status_code == 200
    collections = {c["id"]: c for c in response.json()["collections"]}
    assert list(collections) == COLLECTION_IDS
    segments = collections["segments"]
    assert segments["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert segments["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                               "http://www.opengis.net/def/crs/EPSG/0/4326",
                               "http://www.opengis.net/def/crs/EPSG/0/9209"]
    # The test data: segments from 106.33,20.45 to 106.505,20.55 (the box is single
    # precision, rounded outwards).
    west, south, east, north = segments["extent"]["spatial"]["bbox"][0]
    assert 106.33 - 1e-5 < west <= 106.33 and 20.45 - 1e-5 < south <= 20.45
    assert 106.505 <= east < 106.505 + 1e-5 and 20.55 <= north < 20.55 + 1e-5
    assert segments["extent"]["temporal"]["interval"] == [["2019-01-01T00:00:00+07:00", None]]
    assert collections["visits"]["extent"]["temporal"]["interval"] == [
        ["2024-03-01T10:00:00+07:00", "2024-04-01T10:00:00+07:00"]]
    assert "temporal" not in collections["routes"].get("extent", {})
    rels = {link["rel"]: link["href"] for link in segments["links"]}
    assert rels["items"] == "http://testserver/ogc/collections/segments/items"


def test_one_collection_and_an_unknown_one(client, ogc):
    response = client.get("/ogc/collections/violations", headers=ogc.auth("vnpt"))
    assert response.status_code == 200
    assert response.json()["id"] == "violations"
    missing = client.get("/ogc/collections/poles", headers=ogc.auth("vnpt"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_queryables_are_a_json_schema_of_the_properties(client, ogc):
    response = client.get("/ogc/collections/segments/queryables", headers=ogc.auth("planner"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    props = schema["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["tidied"]["type"] == "boolean"
    assert props["state_since"] == {"title": "state_since", "type": "string", "format": "date",
                                    "description": "Date of the state row in force."}
    assert set(props) == {"geometry", *(p.name for p in COLLECTIONS["segments"].properties)}
    assert client.get("/ogc/collections/nope/queryables",
                      headers=ogc.auth("planner")).status_code == 404


def test_unknown_query_parameter_is_refused_by_name(client, ogc):
    response = client.get("/ogc/collections/segments/items", params={"colour": "red"},
                          headers=ogc.auth("admin"))
    assert problem_field(response) == "query.colour"
