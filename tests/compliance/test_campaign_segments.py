"""An inspector's campaigns running today and a campaign's segments with their visited flags
(gis.compliance.campaign_segments), in PostGIS without HTTP."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from gis.auth import Principal, bind_principal
from gis.choices import Role
from gis.compliance.campaign_segments import (
    CampaignSegmentFilter,
    list_campaign_segments,
    list_my_campaigns,
)
from gis.compliance.campaigns import CampaignInput, create_campaign
from gis.compliance.rules import local_today
from gis.compliance.visits import record_visit
from gis.errors import NotFoundError
from gis.history import record_state_change
from gis.settings import Settings
from tests.factories import make_operator, make_segment, make_unit, make_user
from tests.visit_samples import ICT, principal_of, visit_input

TODAY = local_today()


@pytest.fixture
def w(session, tmp_path):
    """Two communes (west, east), VNPT and Viettel segments, two inspectors and an admin."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    make_unit(session, "11111", (106.30, 20.40, 106.35, 20.50), valid_from=date(2004, 1, 1))
    make_unit(session, "22222", (106.35, 20.40, 106.40, 20.50), valid_from=date(2004, 1, 1))
    seg = {
        "west1": make_segment(session, vnpt, [(106.31, 20.45), (106.32, 20.45)]),
        "west2": make_segment(session, vnpt, [(106.31, 20.46), (106.32, 20.46)]),
        "west_viettel": make_segment(session, viettel, [(106.31, 20.47), (106.32, 20.47)]),
        "east": make_segment(session, vnpt, [(106.36, 20.45), (106.37, 20.45)]),
    }
    users = {name: principal_of(make_user(session, role, username=name)[0])
             for name, role in (("an", "inspector"), ("binh", "inspector"),
                                ("quan.tri", "admin"))}
    return {"session": session, "seg": seg, "users": users, "vnpt": vnpt,
            "settings": Settings(photo_dir=tmp_path)}


def campaign(w, code, *, starts_on=TODAY - timedelta(days=5), ends_on=TODAY + timedelta(days=5),
             **scope):
    """Create a campaign (by the admin) running around today unless dates are given."""
    return create_campaign(w["session"], w["users"]["quan.tri"], CampaignInput(
        code=code, name=code, legal_basis="QĐ test", starts_on=starts_on, ends_on=ends_on,
        **{k: tuple(v) for k, v in scope.items()}))


def visit(w, who, segment, campaign_id):
    """Record a visit (all items passed) by ``who`` under the campaign, an hour ago."""
    at = datetime.now(ICT) - timedelta(hours=1)
    return record_visit(w["session"], w["users"][who], visit_input(
        w["session"], segment_id=w["seg"][segment].id, campaign_id=campaign_id,
        visited_at=at), w["settings"]).inspection


def features(w, campaign_id, who="an", **flt):
    page = list_campaign_segments(w["session"], campaign_id, w["users"][who].user_id, TODAY,
                                  CampaignSegmentFilter(**flt), limit=100)
    return {f["id"]: f["properties"] for f in map(json.loads, page.features)}


def names(w, ids):
    by_id = {s.id: name for name, s in w["seg"].items()}
    return sorted(by_id[i] for i in ids)


def test_my_campaigns_are_running_today_and_name_me_or_nobody(w):
    """Named ones first (assigned_to_me), then open ones; others' and past/future ones are
    left out."""
    open_ = campaign(w, "OPEN")
    mine = campaign(w, "MINE", inspectors=["an"], starts_on=TODAY, ends_on=TODAY)
    campaign(w, "BINH", inspectors=["binh"])
    campaign(w, "PAST", inspectors=["an"], starts_on=date(2023, 1, 1), ends_on=TODAY
             - timedelta(days=1))
    campaign(w, "FUTURE", inspectors=["an"], starts_on=TODAY + timedelta(days=1),
             ends_on=TODAY + timedelta(days=9))
    got = list_my_campaigns(w["session"], w["users"]["an"].user_id, TODAY)
    assert [(m.view.campaign.id, m.assigned_to_me) for m in got] == [
        (mine.id, True), (open_.id, False)]
    assert got[0].view.inspectors == [("an", "An")]
    binh = list_my_campaigns(w["session"], w["users"]["binh"].user_id, TODAY)
    assert [m.view.campaign.code for m in binh] == ["BINH", "OPEN"]


def test_segments_in_scope_with_visited_flags(w):
    """Scope by commune and operator; visited by anyone vs by me; filters; counts."""
    c = campaign(w, "WEST-VNPT", communes=["11111"], operators=["VNPT"], inspectors=["an", "binh"])
    assert names(w, features(w, c.id)) == ["west1", "west2"]
    first = visit(w, "binh", "west1", c.id)
    visit(w, "an", "west2", c.id)
    visit(w, "an", "west2", c.id)
    props = features(w, c.id)
    west1, west2 = props[w["seg"]["west1"].id], props[w["seg"]["west2"].id]
    assert (west1["visited"], west1["visited_by_me"], west1["visits"]) == (True, False, 1)
    assert (west2["visited"], west2["visited_by_me"], west2["visits"]) == (True, True, 2)
    assert datetime.fromisoformat(west1["last_visited_at"]) == first.visited_at
    assert west1["operator"] == "VNPT" and west1["placement"] == "overhead"
    assert west1["length_m"] == pytest.approx(1043, abs=5)
    assert names(w, features(w, c.id, visited_by_me=False)) == ["west1"]
    assert names(w, features(w, c.id, visited_by_me=True)) == ["west2"]
    assert names(w, features(w, c.id, visited=False)) == []
    assert names(w, features(w, c.id, who="binh", visited_by_me=False)) == ["west2"]
    # A visit outside the campaign does not count for it.
    other = campaign(w, "OTHER")
    visit(w, "an", "west1", other.id)
    assert names(w, features(w, c.id, visited_by_me=True)) == ["west2"]
    assert names(w, features(w, other.id, visited_by_me=True)) == ["west1"]
    assert names(w, features(w, other.id, visited=False)) == ["east", "west2", "west_viettel"]


def test_removed_segments_leave_the_scope_and_pages_follow_ids(w):
    """A segment removed before today is not listed; keyset pages cover the rest once."""
    c = campaign(w, "ALL")
    record_state_change(w["session"], w["seg"]["east"].id, effective_date=TODAY - timedelta(
        days=2), source="test", lifecycle="removed")
    ids = []
    after = 0
    while True:
        page = list_campaign_segments(w["session"], c.id, w["users"]["an"].user_id, TODAY,
                                      limit=2, after=after)
        ids += [json.loads(f)["id"] for f in page.features]
        if page.next_after is None:
            break
        after = page.next_after
    assert names(w, ids) == ["west1", "west2", "west_viettel"]
    assert ids == sorted(ids)


def test_unknown_or_hidden_campaign_is_not_found(w):
    """An unknown id, and for an operator's user a campaign naming only other operators."""
    with pytest.raises(NotFoundError):
        list_campaign_segments(w["session"], 999_999, w["users"]["an"].user_id, TODAY)
    c = campaign(w, "VIETTEL-ONLY", operators=["VIETTEL"])
    visible = campaign(w, "VNPT-TOO", operators=["VNPT", "VIETTEL"])
    session = w["session"]
    bind_principal(session, Principal(0, "op", Role.OPERATOR, w["vnpt"].id))
    try:
        with pytest.raises(NotFoundError):
            list_campaign_segments(session, c.id, 0, TODAY)
        # Row-level security: only VNPT's segments of the campaign.
        assert names(w, features(w, visible.id)) == ["east", "west1", "west2"]
    finally:
        session.execute(text("RESET ROLE"))
        session.execute(text("SELECT set_config('telecom_gis.operator_scope', '', true)"))
