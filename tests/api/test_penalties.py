"""Penalty decisions and provisions API: roles, range checks against the cited provision,
linked violations, conflicts, bad input with field paths, and operators seeing only their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.schemas.penalties import PenaltyDecisionDetail, PenaltyDecisionPage, ProvisionList
from gis.models import PenaltyDecision
from tests.compliance_data import make_world


@pytest.fixture
def world(session):
    """Two operators, users of every role, violations in every state."""
    return make_world(session)


def _body(world, **changes):
    body = {"number": "12/QĐ-XPHC", "decided_on": "2024-05-10", "operator": "VNPT",
            "decree": "15/2020/NĐ-CP", "article": "40", "clause": "3",
            "amount_vnd": 55_000_000, "violation_ids": [world.violations["open"].id],
            "note": "Không thu hồi cáp không sử dụng"}
    body.update(changes)
    return body


def _post(client, world, who="inspector", **changes):
    return client.post("/penalty-decisions", json=_body(world, **changes),
                       headers=world.auth(who))


@pytest.mark.parametrize("who", ["inspector", "admin"])
def test_inspector_and_admin_record_a_decision(client, world, who):
    """201 with the decision, the matched provision and the linked violations."""
    response = _post(client, world, who)
    assert response.status_code == 201, response.text
    body = PenaltyDecisionDetail.model_validate(response.json())
    assert (body.number, body.operator, body.amount_vnd) == ("12/QĐ-XPHC", "VNPT", 55_000_000)
    assert body.provision == "ND15-2020/D40/K3/2022"
    assert body.violation_ids == [world.violations["open"].id]
    assert [v.id for v in body.violations] == [world.violations["open"].id]
    assert body.created_by == f"user:{world.users[who].username}"


def test_other_roles_may_not_record(client, world, session):
    """Planners and operators get 403; nothing is written."""
    for who in ("planner", "vnpt", "viettel"):
        assert _post(client, world, who).status_code == 403, who
    assert session.scalar(select(PenaltyDecision.id)) is None


def test_no_token_is_401(client, world):
    """No token: 401."""
    assert client.post("/penalty-decisions", json=_body(world)).status_code == 401


def test_number_taken_is_409(client, world):
    """A decision number is unique."""
    assert _post(client, world).status_code == 201
    again = _post(client, world, violation_ids=[])
    assert again.status_code == 409
    assert again.json()["type"].endswith("conflict")


BAD_DECISIONS = [
    ({"amount_vnd": 80_000_000}, "body.amount_vnd", "50,000,000–70,000,000 VND"),
    ({"amount_vnd": 49_999_999, "article": "Điều 40", "clause": "khoản 3"},
     "body.amount_vnd", "Nghị định 15/2020/NĐ-CP, Điều 40 khoản 3"),
    ({"amount_vnd": 0}, "body.amount_vnd", "greater than 0"),
    ({"amount_vnd": "much"}, "body.amount_vnd", "integer"),
    ({"decided_on": "2999-01-01"}, "body.decided_on", "future"),
    ({"decided_on": "10/5/2024"}, "body.decided_on", "date"),
    ({"operator": "MOBIFONE"}, "body.operator", "unknown operator"),
    ({"number": "  "}, "body.number", "at least 1"),
    ({"decree": ""}, "body.decree", "at least 1"),
    ({"violation_ids": "all"}, "body.violation_ids", "list"),
]


def test_bad_input_names_the_field(client, world, session):
    """422 naming the field, with the reason; nothing is written."""
    for changes, field, words in BAD_DECISIONS:
        response = _post(client, world, **changes)
        assert response.status_code == 422, (changes, response.text)
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field], changes
        assert words in errors[0]["detail"], changes
    assert session.scalar(select(PenaltyDecision.id)) is None


def test_violations_must_exist_and_belong_to_the_operator(client, world):
    """Each bad violation id is named by its index."""
    v = world.violations
    response = _post(client, world, violation_ids=[v["open"].id, v["viettel"].id, 987654321,
                                                   v["open"].id])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [
        "body.violation_ids[1]", "body.violation_ids[2]", "body.violation_ids[3]"]


def test_unsourced_ranges_are_not_checked(client, world):
    """Before the 2022 amendment, and for clauses not held as data, any positive amount."""
    early = _post(client, world, number="1/2021", decided_on="2021-06-01", amount_vnd=4_000_000,
                  violation_ids=[])
    assert early.status_code == 201
    assert early.json()["provision"] == "ND15-2020/D40/K3/2020"
    unknown = _post(client, world, number="2/2024", article="41", clause="1",
                    amount_vnd=4_000_000)
    assert unknown.status_code == 201 and unknown.json()["provision"] is None


def test_list_filters_and_operator_scope(client, world):
    """Operators see only their own decisions; filters by operator and year."""
    _post(client, world, number="A/2024", violation_ids=[])
    _post(client, world, number="B/2023", decided_on="2023-06-01", violation_ids=[])
    _post(client, world, number="C/2024", operator="VIETTEL",
          violation_ids=[world.violations["viettel"].id])

    def numbers(who, **params):
        response = client.get("/penalty-decisions", params=params, headers=world.auth(who))
        assert response.status_code == 200
        page = PenaltyDecisionPage.model_validate(response.json())
        return [d.number for d in page.items], page.total_vnd

    assert numbers("planner") == (["A/2024", "B/2023", "C/2024"], 3 * 55_000_000)
    assert numbers("admin", year=2024) == (["A/2024", "C/2024"], 2 * 55_000_000)
    assert numbers("admin", operator="viettel")[0] == ["C/2024"]
    assert numbers("vnpt")[0] == ["A/2024", "B/2023"]
    assert numbers("viettel")[0] == ["C/2024"]
    assert numbers("vnpt", operator="VIETTEL")[0] == []


def test_list_pagination(client, world):
    """Pages follow the next link."""
    for n in range(3):
        _post(client, world, number=f"P{n}", violation_ids=[])
    first = client.get("/penalty-decisions?limit=2", headers=world.auth("admin")).json()
    assert [d["number"] for d in first["items"]] == ["P0", "P1"]
    second = client.get(first["links"][0]["href"], headers=world.auth("admin")).json()
    assert [d["number"] for d in second["items"]] == ["P2"] and second["links"] == []


def test_bad_year_is_422(client, world):
    """year is an integer 2000-2100."""
    response = client.get("/penalty-decisions", params={"year": 1990},
                          headers=world.auth("admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.year"


def test_detail_and_isolation(client, world):
    """The decision with its violations; another operator's decision is 404."""
    created = _post(client, world).json()
    url = f"/penalty-decisions/{created['id']}"
    mine = client.get(url, headers=world.auth("vnpt"))
    assert mine.status_code == 200
    assert [v["id"] for v in mine.json()["violations"]] == [world.violations["open"].id]
    assert client.get(url, headers=world.auth("viettel")).status_code == 404
    assert client.get("/penalty-decisions/987654", headers=world.auth("admin")).status_code == 404
    assert client.get(url).status_code == 401
    # The violation now names the decision.
    violation = client.get(f"/violations/{world.violations['open'].id}",
                           headers=world.auth("vnpt")).json()
    assert violation["penalty_decisions"] == ["12/QĐ-XPHC"]


def test_provisions(client, world):
    """Every user may read the provisions; the amended Art. 40(3) shows its range."""
    for who in ("inspector", "planner", "viettel"):
        assert client.get("/provisions", headers=world.auth(who)).status_code == 200, who
    response = client.get("/provisions", headers=world.auth("vnpt"))
    assert response.status_code == 200
    items = {p.key: p for p in ProvisionList.model_validate(response.json()).items}
    amended = items["ND15-2020/D40/K3/2022"]
    assert (amended.min_vnd, amended.max_vnd, amended.range_checked) == (
        50_000_000, 70_000_000, True)
    assert amended.citation.startswith("Nghị định 15/2020/NĐ-CP, Điều 40 khoản 3")
    assert items["ND15-2020/D40/K1"].range_checked is False


def test_provisions_need_a_token(client):
    """No token: 401."""
    assert client.get("/provisions").status_code == 401
