"""The API starts on the configured database and reports its health."""

import time

from sqlalchemy import text

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


def test_a_lost_database_connection_is_a_503_then_the_api_reconnects(
        committed_client, committed_engine):
    """No pre-ping: a pooled connection whose server process has gone fails its request
    with 503 and Retry-After (never a 500, never a hang), and the next request reconnects
    by itself, as after a PostgreSQL restart."""
    assert committed_client.get("/healthz").status_code == 200  # one pooled connection
    app_engine = committed_client.app.state.engine
    with app_engine.connect() as conn:  # the same pooled connection
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with committed_engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        for _ in range(200):  # the backend exits asynchronously
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                {"pid": pid}).scalar():
                break
            time.sleep(0.01)
    lost = committed_client.get("/healthz")
    assert lost.status_code == 503
    assert lost.headers["Retry-After"] == "5"
    assert lost.json()["type"].endswith("/database-unavailable")
    again = committed_client.get("/healthz")
    assert again.status_code == 200
    assert again.json()["status"] == "ok"
