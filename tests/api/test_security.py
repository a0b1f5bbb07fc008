"""Security at the HTTP edge: headers on every answer and a Content-Security-Policy on pages,
CORS only for configured origins, and failed sign-ins rate-limited per client address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from api.throttle import LIMIT, SignInThrottle
from tests.factories import bearer, make_user


def test_pages_have_a_content_security_policy_and_every_answer_nosniff(client, session):
    _, token = make_user(session, "planner", username="quy.hoach")
    page = client.get("/login")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "https://tile.openstreetmap.org" in policy  # the base-map host may serve images
    api = client.get("/me", headers=bearer(token))
    assert api.status_code == 200
    for response in (page, api, client.get("/me")):  # the 401 too
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "content-security-policy" not in api.headers


def test_no_cross_origin_calls_unless_configured(client, settings):
    preflight = {"Origin": "https://gis.example.vn", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
    assert "access-control-allow-origin" not in client.options("/me", headers=preflight).headers
    allowed = settings.model_copy(update={"cors_origins": ["https://gis.example.vn"]})
    with TestClient(create_app(allowed)) as configured:
        answer = configured.options("/me", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://gis.example.vn"
        other = configured.options("/me", headers={**preflight, "Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in other.headers


def test_failed_sign_ins_are_rate_limited_per_address(client, session):
    _, token = make_user(session, "inspector", username="thanh.tra")
    for _ in range(LIMIT):
        assert client.get("/me", headers=bearer("tg_not-a-token")).status_code == 401
    refused = client.get("/me", headers=bearer("tg_not-a-token"))
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"].endswith("/too-many-failed-sign-ins")
    assert client.post("/session", json={"token": token}).status_code == 429  # login too
    assert client.get("/me").status_code == 401  # no credentials: not counted, not refused


def test_the_limit_lifts_when_the_failures_leave_the_window():
    now = [1000.0]

    async def unauthorised(scope, receive, send):
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    throttle = SignInThrottle(unauthorised, limit=3, window_s=60, clock=lambda: now[0])
    http = TestClient(throttle)  # no lifespan: the bare app answers HTTP only
    statuses = [http.get("/me", headers=bearer("x")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    now[0] += 59
    assert http.get("/me", headers=bearer("x")).headers["retry-after"] == "1"
    now[0] += 2
    assert http.get("/me", headers=bearer("x")).status_code == 401


def test_page_redirects_to_login_count_as_failed_sign_ins(client):
    """Pages answer a bad token with a redirect to /login, not 401: those count too, or the
    pages would be a way round the limit."""
    for _ in range(LIMIT):
        page = client.get("/maps/progress", headers=bearer("tg_not-a-token"),
                          follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/me", headers=bearer("tg_not-a-token")).status_code == 429


def test_the_refusals_any_request_may_get_are_documented(app):
    """429 (sign-in limit) on every operation taking credentials, 503 (database away) on all."""
    paths = app.openapi()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], (method, path)
            if "security" in operation:
                assert "429" in operation["responses"], (method, path)
    assert "429" in paths["/session"]["post"]["responses"]
