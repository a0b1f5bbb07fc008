"""GET /checklists, /checklists/{code}, /checklists/in-force: the catalogue as data."""

from __future__ import annotations

import pytest

from gis.compliance.catalogue import bundled_path, load_catalogue
from gis.compliance.rules import local_today
from tests.factories import bearer, make_operator, make_user

BUNDLED = "QCVN33-2019/v1"


@pytest.fixture
def tokens(session):
    """A planner and an operator user."""
    _, planner = make_user(session, "planner", username="quy.hoach")
    _, operator = make_user(session, "operator", make_operator(session, "VNPT"))
    return {"planner": planner, "operator": operator}


@pytest.fixture
def local_version(session, tmp_path):
    """A local catalogue version in force from 2025-01-01: C3's slack limit becomes 8 m."""
    text = bundled_path().read_text("utf-8")
    text = text.replace('code = "QCVN33-2019/v1"', 'code = "HY-2025/v2"', 1)
    text = text.replace("effective_from = 2020-07-01", "effective_from = 2025-01-01", 1)
    text = text.replace("limit_value = 10\n", "limit_value = 8\n", 1)
    path = tmp_path / "local.toml"
    path.write_text(text, "utf-8")
    version, created = load_catalogue(session, path)
    assert created
    return version


def test_list_versions(client, tokens, local_version):
    """Every version, oldest first, with the one in force today flagged."""
    response = client.get("/checklists", headers=bearer(tokens["operator"]))
    assert response.status_code == 200
    versions = {v["code"]: v for v in response.json()}
    assert list(versions)[:1] == [BUNDLED]
    assert versions[BUNDLED]["items"] == 14 and versions["HY-2025/v2"]["items"] == 14
    assert versions["HY-2025/v2"]["in_force"] is True
    assert versions[BUNDLED]["in_force"] is False
    assert versions[BUNDLED]["effective_from"] == "2020-07-01"
    assert client.get("/checklists").status_code == 401


def test_version_detail_traces_items(client, tokens):
    """Items carry texts, clause, sources, severity label, placements, sourced flags."""
    response = client.get(f"/checklists/{BUNDLED}", headers=bearer(tokens["planner"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == BUNDLED and body["items"] == 14
    items = {i["code"]: i for i in body["checklist"]}
    assert list(items) == [f"C{n}" for n in range(1, 15)]
    c3 = items["C3"]
    assert (c3["measure_unit"], c3["limit_kind"], float(c3["limit_value"]),
            c3["limit_sourced"]) == ("m", "max", 10.0, True)
    assert c3["clause"] == "QCVN 33:2019/BTTTT 2.1.4" and c3["sources"][0].startswith("S1 http")
    assert c3["remediation_days"] == 30 and c3["remediation_days_sourced"] is False
    assert items["C7"]["limit_sourced"] is False and items["C7"]["limit_kind"] == "min"
    assert items["C6"]["severity"] == "critical"
    assert items["C6"]["severity_label"] == {"vi": "Đặc biệt nghiêm trọng", "en": "Critical"}
    assert items["C11"]["placements"] == ["underground"]
    missing = client.get("/checklists/NOPE/v0", headers=bearer(tokens["planner"]))
    assert missing.status_code == 404


def test_items_in_force_for_a_placement(client, tokens, local_version):
    """What the inspector fills in: by date (version) and placement (items)."""
    def items(**params):
        response = client.get("/checklists/in-force", params=params,
                              headers=bearer(tokens["planner"]))
        assert response.status_code == 200, response.text
        return response.json()

    overhead = items(on="2024-05-02", placement="overhead")
    assert overhead["version"] == BUNDLED and overhead["placement"] == "overhead"
    assert [i["code"] for i in overhead["items"]] == [
        "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C13", "C14"]
    underground = items(on="2024-05-02", placement="underground")
    assert [i["code"] for i in underground["items"]] == ["C1", "C9", "C11", "C12"]
    later = items(on="2025-06-01", placement="overhead")
    assert later["version"] == "HY-2025/v2"
    assert float(next(i for i in later["items"] if i["code"] == "C3")["limit_value"]) == 8
    assert len(items(on="2024-05-02")["items"]) == 14
    today = items()
    assert today["on"] == local_today().isoformat() and today["version"] == "HY-2025/v2"
    early = client.get("/checklists/in-force", params={"on": "2019-01-01"},
                       headers=bearer(tokens["planner"]))
    assert early.status_code == 404
    bad = client.get("/checklists/in-force", params={"placement": "aerial"},
                     headers=bearer(tokens["planner"]))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.placement"
