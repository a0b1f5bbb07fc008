"""The API starts on the configured database and reports its health."""


from api.main import create_app
from gis.migrate import head_revision
from gis.settings import Settings


def test_healthz_reports_database(client, engine):
    """GET /healthz answers with PostGIS version and the schema at head (no token needed)."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["schema_revision"] == body["schema_head"] == head_revision(engine)
    assert body["segments"] == 0


def test_openapi_has_summaries(database_url):
    """Every route carries a summary in the OpenAPI document."""
    app = create_app(Settings(database_url=database_url))
    paths = app.openapi()["paths"]
    assert paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def _has_examples(schemas: dict, name: str) -> bool:
    schema = schemas[name]
    if "examples" in schema or "example" in schema:
        return True
    return all(
        any(k in prop for k in ("examples", "example", "$ref", "enum", "allOf", "anyOf",
                                "default"))
        or prop.get("type") in ("array", "object") or prop.get("format") == "binary"
        or prop.get("contentMediaType")
        for prop in (schema.get("properties") or {}).values()
    )


def test_openapi_models_have_examples_and_labels(database_url):
    """Every JSON request and success response has a typed schema with examples, and every enum
    drawn from gis.choices carries its Vietnamese and English labels."""
    from gis.choices import LABELS

    spec = create_app(Settings(database_url=database_url)).openapi()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            contents = [c for code, r in operation["responses"].items() if code.startswith("2")
                        for c in r.get("content", {}).values()]
            if "requestBody" in operation:
                contents += operation["requestBody"]["content"].values()
            for content in contents:
                ref = content.get("schema", {}).get("$ref")
                if ref and not _has_examples(schemas, ref.rsplit("/", 1)[-1]):
                    missing.append(f"{method.upper()} {path}: {ref}")
    assert missing == []
    labelled_values = {member.value for member in LABELS}

    def enums(node):
        if isinstance(node, dict):
            if "enum" in node and set(node["enum"]) <= labelled_values:
                yield node
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    found = list(enums(spec))
    assert len(found) > 20
    unlabelled = [e["enum"] for e in found if "x-labels" not in e]
    assert unlabelled == []
