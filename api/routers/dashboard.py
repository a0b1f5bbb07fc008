"""Dashboards and the annual report: the ``/dashboard`` page and the JSON it draws, and the
year-end review as a page, as JSON and as an .xlsx workbook. Any signed-in role; an operator's
user sees only its own operator's figures (row-level security). The figures come from
:mod:`gis.reports`, the pages from :mod:`maps.dashboard`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import PagePrincipalDep, PrincipalDep, SessionDep, SettingsDep
from api.problems import fields_at, problem_responses
from gis.compliance.rules import local_today
from gis.reports import periods
from gis.reports.annual import AnnualReport, build_annual_report
from gis.reports.dashboard import DashboardFigures, build_dashboard
from gis.reports.network import first_history_year
from gis.reports.scope import ReportScope, filter_choices, resolve_scope
from gis.reports.xlsx import annual_workbook
from maps.dashboard import annual_context, dashboard_context
from maps.pages import render_page

router = APIRouter(tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

OperatorQuery = Annotated[str | None, Query(
    max_length=16, examples=["VNPT"],
    description="Operator code (default: every operator the caller may see)")]
CommuneQuery = Annotated[str | None, Query(
    max_length=5, examples=["98001"],
    description="Commune code: the commune stored on the segments, any version of the code")]
YearQuery = Annotated[int | None, Query(
    examples=[2024], description="The dashboard runs up to the end of this year (default: "
                                 f"this year; from {periods.FIRST_YEAR})")]
YearPath = Annotated[int, Path(
    examples=[2023], description=f"The report's year, from {periods.FIRST_YEAR} to this year")]


def _scope(session: Session, operator: str | None, commune: str | None) -> ReportScope:
    with fields_at("query"):
        return resolve_scope(session, operator=operator, commune=commune)


def _year_range(session: Session) -> dict[str, int]:
    """The years the pages offer: from the first of the network's history to this one."""
    this_year = local_today().year
    first = first_history_year(session, ReportScope()) or this_year
    return {"first_year": max(first, periods.FIRST_YEAR), "this_year": this_year}


def _dashboard(session: Session, operator: str | None, commune: str | None,
               year: int | None, stale_after_days: int) -> DashboardFigures:
    scope = _scope(session, operator, commune)
    with fields_at("query"):
        return build_dashboard(session, scope, year=year, stale_after_days=stale_after_days)


def _annual(session: Session, year: int, operator: str | None,
            commune: str | None) -> AnnualReport:
    with fields_at("path"):
        periods.check_year(year, local_today())
    return build_annual_report(session, _scope(session, operator, commune), year)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(session: SessionDep, principal: PagePrincipalDep, settings: SettingsDep,
                   operator: OperatorQuery = None, commune: CommuneQuery = None,
                   year: YearQuery = None) -> HTMLResponse:
    """The dashboard: charts and tables of the figures of ``/dashboard/data``."""
    figures = _dashboard(session, operator, commune, year, settings.stale_after_days)
    context = dashboard_context(figures, filter_choices(session), username=principal.username,
                                **_year_range(session))
    return HTMLResponse(render_page("dashboard.html", **context))


@router.get("/dashboard/data", response_model=DashboardFigures,
            summary="The dashboard's figures: network progress, plans, inspections, enforcement",
            responses=problem_responses(401, 422))
def dashboard_data(session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
                   operator: OperatorQuery = None, commune: CommuneQuery = None,
                   year: YearQuery = None) -> DashboardFigures:
    """Km underground / overhead / tidied at every year end and at the last 24 month ends (in
    total, per operator, per commune), plans with their targets and what was achieved, visits
    per month, compliance rate and unresolved / overdue violations at each month end, penalty
    decisions and VND per month and per year. Lengths are km of the segments' stored geodesic
    lengths; dates are local (Asia/Ho_Chi_Minh)."""
    return _dashboard(session, operator, commune, year, settings.stale_after_days)


@router.get("/reports/annual/{year}.xlsx", response_class=Response,
            summary="The annual report as an Excel workbook",
            responses={200: {"content": {XLSX: {"schema": {"type": "string",
                                                           "format": "binary"}}},
                             "description": "The workbook (one sheet per section)"},
                       **problem_responses(401, 422)})
def annual_report_xlsx(year: YearPath, session: SessionDep, principal: PrincipalDep,
                       operator: OperatorQuery = None,
                       commune: CommuneQuery = None) -> Response:
    """The figures of ``/reports/annual/{year}.json`` as ``bao-cao-nam-<year>.xlsx``: a summary
    sheet first ("Tổng hợp"), then campaigns, violations, penalty decisions, undergrounding and
    tidying per operator and per commune, and plans; Vietnamese headers with English below."""
    report = _annual(session, year, operator, commune)
    return Response(annual_workbook(report), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-nam-{year}.xlsx"'})


@router.get("/reports/annual/{year}.json", response_model=AnnualReport,
            summary="The annual report's figures",
            responses=problem_responses(401, 422))
def annual_report_json(year: YearPath, session: SessionDep, principal: PrincipalDep,
                       operator: OperatorQuery = None,
                       commune: CommuneQuery = None) -> AnnualReport:
    """The year-end review of ``year``: campaigns held, visits and segments checked, violations
    found and closed (per item and severity), penalty decisions with their total in VND, km
    undergrounded and tidied in the year per operator and commune, and the year's plans with
    their targets and what was achieved. The year ends today while it runs."""
    return _annual(session, year, operator, commune)


@router.get("/reports/annual/{year}", response_class=HTMLResponse, include_in_schema=False)
def annual_report_page(year: YearPath, session: SessionDep, principal: PagePrincipalDep,
                       operator: OperatorQuery = None,
                       commune: CommuneQuery = None) -> HTMLResponse:
    """The annual report as a printable page."""
    report = _annual(session, year, operator, commune)
    context = annual_context(report, filter_choices(session), username=principal.username,
                             **_year_range(session))
    return HTMLResponse(render_page("annual_report.html", **context))


