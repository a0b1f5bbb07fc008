"""The API starts on the configured database and reports its health."""

from fastapi.testclient import TestClient

from api.main import create_app
from gis.migrate import head_revision
from gis.settings import Settings


def test_healthz_reports_database(database_url, engine):
    """GET /healthz answers with PostGIS version and the schema at head."""
    with TestClient(create_app(Settings(database_url=database_url))) as client:
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
