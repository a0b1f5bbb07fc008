"""Dashboard and annual report routes on the demo province: every route answers, the page, the
JSON and the workbook carry the same figures, operators see only their own, bad input is a 422
naming the field."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gis.compliance.rules import local_today
from gis.models import Operator
from gis.reports.dashboard import build_dashboard
from gis.reports.scope import WHOLE_NETWORK
from maps.dashboard import figures_json
from tests.factories import bearer, make_user
from tests.sample.conftest import demo_loaded  # noqa: F401  (module-scoped demo)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def connection(demo_loaded):  # noqa: F811
    """The demo's connection: each test's changes (users, tokens) are rolled back."""
    conn, _ = demo_loaded
    savepoint = conn.begin_nested()
    yield conn
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture
def admin(session):
    return bearer(make_user(session, "admin", username="dash-admin")[1])


@pytest.fixture
def vnpt_user(session):
    vnpt = session.scalars(select(Operator).where(Operator.code == "VNPT")).one()
    return bearer(make_user(session, "operator", vnpt, username="dash-vnpt")[1])


def _embedded(html: str, element_id: str):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      html, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_dashboard_data_are_the_figures_of_the_scope(client, session, admin):
    response = client.get("/dashboard/data?year=2023", headers=admin)
    assert response.status_code == 200
    body = response.json()
    expected = build_dashboard(session, WHOLE_NETWORK, year=2023, stale_after_days=365,
                               today=local_today())
    assert body == json.loads(figures_json(expected))
    assert body["as_of"] == "2023-12-31" and body["operator"] is None
    assert body["penalties_by_year"][-1] == {"start": "2023-01-01", "decisions": 7,
                                             "amount_vnd": 28_250_000}
    assert [s["code"] for s in body["network"]["by_operator"]] == ["FPT", "VIETTEL", "VNPT",
                                                                   "VTVCAB"]
    assert client.get("/dashboard/data", headers=admin).json()["year"] == local_today().year


def test_dashboard_page_draws_from_the_same_json_and_tabulates_it(client, admin):
    data = client.get("/dashboard/data?year=2023", headers=admin).json()
    page = client.get("/dashboard?year=2023", headers=admin)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert _embedded(html, "dashboard-data") == data
    vocabulary = _embedded(html, "dashboard-vocabulary")
    assert vocabulary["placement_class"]["underground"] == {
        "vi": "Cáp ngầm", "en": "Underground", "colour": "#2b8cbe"}
    assert html.count("<canvas id=\"chart-") == 11
    assert "28.250.000" in html  # the 2023 fines, in the penalties table
    last = data["network"]["total"]["years"][-1]
    assert f'data-num="{last["underground_km"]}"' in html
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == []
    assert "/static/vendor/chart.js/chart.umd.js" in html


def test_annual_xlsx_holds_the_json_figures(client, admin):
    figures = client.get("/reports/annual/2023.json", headers=admin)
    assert figures.status_code == 200
    report = figures.json()
    assert (len(report["campaigns"]), report["penalty_decisions"],
            report["penalty_total_vnd"]) == (10, 7, 28_250_000)
    download = client.get("/reports/annual/2023.xlsx", headers=admin)
    assert download.status_code == 200
    assert download.headers["content-type"] == XLSX
    assert download.headers["content-disposition"] == 'attachment; filename="bao-cao-nam-2023.xlsx"'
    book = load_workbook(BytesIO(download.content))
    summary = {row[1]: row[2] for row in book["Tổng hợp"].iter_rows(min_row=3, values_only=True)}
    assert summary["Report year"] == 2023
    assert summary["Campaigns held"] == len(report["campaigns"])
    for label, key in (("Visits", "visits"), ("Segments checked", "segments_checked"),
                       ("Violations found", "violations_found"),
                       ("Violations closed", "violations_closed"),
                       ("Penalty decisions", "penalty_decisions"),
                       ("Total fines", "penalty_total_vnd"),
                       ("Cable undergrounded in the year", "km_undergrounded"),
                       ("Overhead cable tidied in the year", "km_tidied"),
                       ("Undergrounding plan target", "plan_target_km")):
        assert summary[label] == pytest.approx(report[key]), label
    decisions = list(book["Xử phạt"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2], r[7]) for r in decisions[:-1]] == [
        (p["number"], p["operator"], p["amount_vnd"]) for p in report["penalties"]]
    operators = list(book["Theo doanh nghiệp"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[4]) for r in operators[:-1]] == [
        (r["code"], pytest.approx(r["tidied_km"])) for r in report["by_operator"]]


def test_annual_page_shows_the_figures(client, admin):
    page = client.get("/reports/annual/2023", headers=admin)
    assert page.status_code == 200
    html = page.text
    for text in ("KT-2023-01", "KT-2023-10", "28.250.000", "01/QĐ-XPHC-2023", "570",
                 'href="/reports/annual/2023.xlsx"'):
        assert text in html, text
    assert "/static/pages/dashboard.css" in html
    assert "@media print" in client.get("/static/pages/dashboard.css").text
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == []


def test_an_operator_sees_only_its_own_figures(client, admin, vnpt_user):
    own = client.get("/dashboard/data?year=2023", headers=vnpt_user).json()
    filtered = client.get("/dashboard/data?year=2023&operator=VNPT", headers=admin).json()
    assert [s["code"] for s in own["network"]["by_operator"]] == ["VNPT"]
    assert own["network"] == filtered["network"]
    assert own["penalties_by_year"] == filtered["penalties_by_year"]
    assert own["visits"] == filtered["visits"]
    report = client.get("/reports/annual/2023.json", headers=vnpt_user).json()
    assert {p["operator"] for p in report["penalties"]} == {"VNPT"}
    other = client.get("/dashboard/data?operator=VIETTEL", headers=vnpt_user)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "query.operator"


def test_a_commune_filter_keeps_that_communes_cable(client, admin):
    body = client.get("/dashboard/data?year=2024&commune=98001", headers=admin).json()
    assert body["commune"] == "98001" and body["commune_name"] == "Phường Thái Bình"
    assert [s["code"] for s in body["network"]["by_commune"]] == ["98001"]
    bad = client.get("/dashboard/data?commune=971", headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.commune"


@pytest.mark.parametrize(("url", "field"), [
    ("/reports/annual/2999", "path.year"),
    ("/reports/annual/1999.xlsx", "path.year"),
    ("/reports/annual/abc.json", "path.year"),
    ("/reports/annual/20x3", "path.year"),
    ("/dashboard/data?year=2999", "query.year"),
    ("/dashboard/data?year=soon", "query.year"),
    ("/dashboard?year=1850", "query.year"),
])
def test_a_bad_year_is_a_422_naming_it(client, admin, url, field):
    response = client.get(url, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_pages_need_a_session_and_json_needs_a_token(client, session):
    assert client.get("/dashboard/data").status_code == 401
    assert client.get("/reports/annual/2023.xlsx").status_code == 401
    for path in ("/dashboard", "/reports/annual/2023"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"
    _, token = make_user(session, "planner", username="dash-planner")
    assert client.post("/session", json={"token": token}).status_code == 200
    assert client.get("/dashboard").status_code == 200  # the page cookie is enough
