"""Page session: POST /session sets an HttpOnly cookie honoured for reads only; pages without
a session redirect to the login page; /docs and /static come from the app itself."""

from __future__ import annotations

import re

from api.deps import SESSION_COOKIE
from tests.factories import make_user


def test_session_cookie_authenticates_get_requests_only(client, session):
    _, token = make_user(session, "inspector")
    response = client.post("/session", json={"token": token})
    assert response.status_code == 200
    assert response.json()["role"] == "inspector"
    header = response.headers["set-cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in header and "SameSite=strict" in header and "Max-Age=" in header
    assert "Secure" not in header  # cookie_secure is off by default (loopback demo)
    assert client.get("/me").status_code == 200  # the client keeps the cookie
    # A write with only the cookie is refused: cross-site forms cannot act as the user.
    assert client.post("/campaigns", json={}).status_code == 401


def test_session_refuses_an_unknown_token_and_sets_no_cookie(client):
    response = client.post("/session", json={"token": "tgis_unknown"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "set-cookie" not in response.headers


def test_session_needs_a_token_field(client):
    response = client.post("/session", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.token"


def test_closing_the_session_removes_the_cookie(client, session):
    _, token = make_user(session, "planner")
    client.post("/session", json={"token": token})
    response = client.delete("/session")
    assert response.status_code == 204
    assert re.search(rf'{SESSION_COOKIE}=""; .*Max-Age=0', response.headers["set-cookie"])
    assert client.get("/me").status_code == 401


def test_login_page_and_docs_load_only_local_assets(client):
    for path in ("/login", "/docs"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text)
        assert external == [], f"{path} loads {external}"
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_home_page_needs_a_session_and_lists_the_pages(client, session):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    user, token = make_user(session, "planner")
    client.post("/session", json={"token": token})
    page = client.get("/")
    assert page.status_code == 200
    assert user.full_name in page.text and "Cán bộ quy hoạch" in page.text
    for href in ("/viewer", "/maps/progress", "/maps/compliance", "/dashboard", "/docs"):
        assert f'href="{href}"' in page.text


def test_login_redirect_keeps_the_query_of_the_page_asked_for(client):
    response = client.get("/?lang=en", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/%3Flang%3Den"
