"""GET /audit: every write with who/when/before/after, filters, keyset pages, no secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gis.models import ApiToken
from tests.factories import bearer, make_user


@pytest.fixture
def admin(session):
    """Headers of an administrator."""
    _, token = make_user(session, "admin")
    return bearer(token)


@pytest.fixture
def written(client, admin):
    """Three users created and one renamed through the API, as admin-dept."""
    for name in ("a.one", "a.two", "a.three"):
        response = client.post("/users", headers=admin,
                               json={"username": name, "full_name": name, "role": "planner"})
        assert response.status_code == 201
    client.patch("/users/a.two", headers=admin, json={"full_name": "Second"})
    return client.get("/users/a.two", headers=admin).json()["id"]


def _entries(client, admin, query: str = "") -> list[dict]:
    response = client.get(f"/audit{query}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_entries_name_actor_and_images(client, admin, written):
    """An UPDATE through the API is one entry with the actor and the row before and after."""
    entries = _entries(client, admin, f"?table=users&row_key={written}")
    assert [e["action"] for e in entries] == ["UPDATE", "INSERT"]  # newest first
    update, insert = entries
    assert update["actor"] == "user:admin-dept" and update["table"] == "users"
    assert update["before"]["full_name"] == "a.two" and update["after"]["full_name"] == "Second"
    assert insert["before"] is None and insert["after"]["username"] == "a.two"


def test_filters(client, admin, written):
    """Filters by table, actor and time (naive times are Vietnam time, UTC+7)."""
    mine = _entries(client, admin, "?actor=user:admin-dept")
    assert {e["table"] for e in mine} == {"users"} and len(mine) == 4
    assert _entries(client, admin, "?actor=user:nobody") == []
    assert all(e["table"] == "api_tokens" for e in _entries(client, admin, "?table=api_tokens"))
    hanoi_now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    earlier = (hanoi_now - timedelta(hours=1)).isoformat(timespec="seconds")
    later = (hanoi_now + timedelta(hours=1)).isoformat(timespec="seconds")
    assert len(_entries(client, admin, f"?actor=user:admin-dept&from={earlier}")) == 4
    assert _entries(client, admin, f"?actor=user:admin-dept&from={later}") == []
    assert _entries(client, admin, f"?actor=user:admin-dept&to={earlier}") == []
    tomorrow = (hanoi_now + timedelta(days=1)).date().isoformat()
    assert len(_entries(client, admin, f"?actor=user:admin-dept&to={tomorrow}")) == 4
    assert _entries(client, admin, f"?actor=user:admin-dept&from={tomorrow}") == []
    utc_later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "%2B00:00")
    assert len(_entries(client, admin, f"?actor=user:admin-dept&to={utc_later}")) == 4


def test_keyset_pages_cover_everything_once(client, admin, written):
    """Following next links with limit=2 yields every entry once, newest first; the last page
    has no next link."""
    everything = _entries(client, admin, "?limit=1000")
    seen, url, pages = [], "/audit?limit=2", 0
    while url:
        body = client.get(url, headers=admin).json()
        seen.extend(e["id"] for e in body["entries"])
        links = {link["rel"]: link["href"] for link in body["links"]}
        url = links.get("next")
        pages += 1
        if url:
            assert parse_qs(urlsplit(url).query)["limit"] == ["2"]
    assert seen == [e["id"] for e in everything]
    assert len(seen) == len(set(seen)) >= 6
    assert pages == -(-len(seen) // 2)  # no empty last page
    assert [(e["at"], e["id"]) for e in everything] == sorted(
        ((e["at"], e["id"]) for e in everything), reverse=True)


def test_next_link_keeps_filters(client, admin, written):
    """The next link carries the filters, so the second page is of the same table."""
    body = client.get("/audit?table=users&limit=1", headers=admin).json()
    nxt = body["links"][0]["href"]
    assert nxt.startswith("/audit?") and "table=users" in nxt
    assert client.get(nxt, headers=admin).json()["entries"][0]["table"] == "users"


def test_token_hashes_never_appear(client, session, admin):
    """Issuing and revoking a token leaves audit entries without the hash (or the token)."""
    issued = client.post("/users/admin-dept/tokens", headers=admin, json={"label": "x"}).json()
    client.delete(f"/tokens/{issued['id']}", headers=admin)
    digest = session.get(ApiToken, issued["id"]).token_sha256
    response = client.get(f"/audit?table=api_tokens&row_key={issued['id']}", headers=admin)
    entries = response.json()["entries"]
    assert [e["action"] for e in entries] == ["UPDATE", "INSERT"]
    assert entries[0]["after"]["revoked_at"] and entries[0]["after"]["label"] == "x"
    for entry in entries:
        for image in (entry["before"], entry["after"]):
            assert image is None or "token_sha256" not in image
    assert digest not in response.text and issued["token"] not in response.text
    all_tokens = client.get("/audit?table=api_tokens&limit=1000", headers=admin).text
    for digest in session.scalars(select(ApiToken.token_sha256)):
        assert digest not in all_tokens


@pytest.mark.parametrize(("query", "field"), [
    ("?table=secrets", "query.table"),
    ("?cursor=not-a-cursor", "query.cursor"),
    ("?from=2025-02-01T00:00:00&to=2025-01-01T00:00:00", "query.to"),
    ("?limit=0", "query.limit"),
    ("?from=yesterday", "query.from"),
])
def test_bad_filters_name_the_parameter(client, admin, query, field):
    """Each bad filter answers 422 naming the query parameter."""
    response = client.get(f"/audit{query}", headers=admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
