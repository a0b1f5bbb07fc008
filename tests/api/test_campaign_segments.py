"""GET /campaigns/mine and GET /campaigns/{id}/segments: what the field viewer's "my
campaign" reads (the rules are tested in tests/compliance/test_campaign_segments.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from api.schemas.campaigns import CampaignSegmentCollection, MyCampaigns
from gis.compliance.rules import local_today
from tests.factories import bearer, make_operator, make_segment, make_unit, make_user
from tests.visit_samples import ICT, body_for

TODAY = local_today()


@pytest.fixture
def w(session, client):
    """A commune with two VNPT segments and a Viettel one; inspectors "an" and "binh", an admin,
    Viettel's operator user; a campaign over the commune naming "an", and one naming nobody."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "11111", (106.30, 20.40, 106.35, 20.50), valid_from=date(2004, 1, 1))
    segments = [make_segment(session, vnpt, [(106.31, 20.45 + i / 100), (106.32, 20.45 + i / 100)])
                for i in range(2)]
    segments.append(make_segment(session, viettel, [(106.31, 20.48), (106.32, 20.48)]))
    tokens = {}
    for role, operator, name in (("inspector", None, "an"), ("inspector", None, "binh"),
                                 ("admin", None, "quan.tri"), ("operator", viettel, None)):
        user, token = make_user(session, role, operator, username=name)
        tokens[user.username] = token
    period = {"starts_on": str(TODAY - timedelta(days=3)),
              "ends_on": str(TODAY + timedelta(days=3))}
    created = {}
    for code, extra in (("KT-AN", {"communes": ["11111"], "inspectors": ["an"]}),
                        ("KT-ALL", {})):
        response = client.post("/campaigns", headers=bearer(tokens["quan.tri"]), json={
            "code": code, "name": code, "legal_basis": "QĐ thử", **period, **extra})
        assert response.status_code == 201, response.text
        created[code] = response.json()["id"]
    return SimpleNamespace(segments=segments, tokens=tokens, campaigns=created, session=session)


def visit(client, w, who, segment, campaign):
    """POST a visit (all items passed) an hour ago under ``campaign``."""
    at = (datetime.now(ICT) - timedelta(hours=1)).isoformat()
    response = client.post("/inspections", json=body_for(
        w.session, segment_id=segment.id, campaign_id=w.campaigns[campaign], visited_at=at),
        headers={**bearer(w.tokens[who]), "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text


def test_mine_lists_the_running_campaigns_naming_me_first(client, w):
    response = client.get("/campaigns/mine", headers=bearer(w.tokens["an"]))
    assert response.status_code == 200, response.text
    mine = MyCampaigns.model_validate(response.json())
    assert mine.on == TODAY
    assert [(c.code, c.assigned_to_me) for c in mine.items] == [("KT-AN", True),
                                                                ("KT-ALL", False)]
    assert mine.items[0].scope.inspectors[0].username == "an"
    binh = client.get("/campaigns/mine", headers=bearer(w.tokens["binh"])).json()
    assert [c["code"] for c in binh["items"]] == ["KT-ALL"]
    assert client.get("/campaigns/mine").status_code == 401


def test_segments_carry_visited_flags_and_filter(client, w):
    west0, west1, viettel = w.segments
    visit(client, w, "an", west0, "KT-AN")
    visit(client, w, "binh", west1, "KT-ALL")
    url = f"/campaigns/{w.campaigns['KT-AN']}/segments"
    response = client.get(url, headers=bearer(w.tokens["an"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    page = CampaignSegmentCollection.model_validate(response.json())
    flags = {f.id: (f.properties.visited, f.properties.visited_by_me, f.properties.visits)
             for f in page.features}
    # binh's visit was under the other campaign: not counted here.
    assert flags == {west0.id: (True, True, 1), west1.id: (False, False, 0),
                     viettel.id: (False, False, 0)}
    feature = next(f for f in page.features if f.id == west0.id)
    assert feature.geometry.coordinates == [[106.31, 20.45], [106.32, 20.45]]
    assert feature.properties.operator == "VNPT" and feature.properties.placement == "overhead"

    def ids(token, **params):
        r = client.get(url, params=params, headers=bearer(w.tokens[token]))
        assert r.status_code == 200, r.text
        return sorted(f["id"] for f in r.json()["features"])

    assert ids("an", visited_by_me="false") == sorted([west1.id, viettel.id])
    assert ids("an", visited="true") == [west0.id]
    assert ids("binh", visited_by_me="true") == []
    all_url = f"/campaigns/{w.campaigns['KT-ALL']}/segments"
    r = client.get(all_url, params={"visited_by_me": "true"}, headers=bearer(w.tokens["binh"]))
    assert [f["id"] for f in r.json()["features"]] == [west1.id]
    # Row-level security: Viettel's user sees its own segment only.
    assert ids("operator-viettel") == [viettel.id]


def test_segments_pages_follow_next_links(client, w):
    url = f"/campaigns/{w.campaigns['KT-AN']}/segments"
    first = client.get(url, params={"limit": 2}, headers=bearer(w.tokens["an"])).json()
    assert first["numberReturned"] == 2
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    rest = client.get(href, headers=bearer(w.tokens["an"])).json()
    assert [f["id"] for f in first["features"] + rest["features"]] == [s.id for s in w.segments]
    assert not any(link["rel"] == "next" for link in rest["links"])


def test_segments_of_an_unknown_campaign_and_bad_queries(client, w):
    token = bearer(w.tokens["an"])
    missing = client.get("/campaigns/424242/segments", headers=token)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = client.get(f"/campaigns/{w.campaigns['KT-AN']}/segments",
                     params={"visited": "maybe", "limit": 0}, headers=token)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.visited", "query.limit"}
    assert client.get(f"/campaigns/{w.campaigns['KT-AN']}/segments").status_code == 401
