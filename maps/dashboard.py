"""The dashboard (``/dashboard``) and the annual report page (``/reports/annual/<year>``):
template contexts built from :mod:`gis.reports` figures.

The dashboard page embeds the figures as the same JSON that ``/dashboard/data`` answers
(:func:`figures_json`), and its script (``maps/static/pages/dashboard.js``) draws the Chart.js
charts from it; the tables under the charts are rendered here, so they read and print without
scripts. Labels and colours of states come from :mod:`gis.choices` (:func:`vocabulary`); the
page's own words are in the templates, in Vietnamese with English in ``data-en``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from pydantic import TypeAdapter

from gis.choices import LABELS, ComplianceState, Placement, PlacementClass, Severity, ViolationState
from gis.reports.annual import AnnualReport
from gis.reports.dashboard import DashboardFigures
from gis.reports.scope import FilterOption
from maps.pages import static_url

DASHBOARD_PATH = "/dashboard"
DATA_PATH = "/dashboard/data"
ANNUAL_PATH = "/reports/annual/{year}"

SCRIPTS = ("vendor/chart.js/chart.umd.js", "pages/dashboard.js")
STYLES = ("pages/dashboard.css",)
#: Communes drawn one by one in the commune chart; the rest are summed as "others".
TOP_COMMUNES = 8



@dataclass(frozen=True)
class ChartSlot:
    """A chart of the dashboard: canvas id (drawn by ``dashboard.js``), Vietnamese and English
    title, and whether it spans the page's width."""

    id: str
    vi: str
    en: str
    wide: bool = False


def charts(as_of: date) -> list[ChartSlot]:
    """The dashboard's charts, in page order (titles name the date of the snapshots)."""
    on = format_date(as_of)
    return [
        ChartSlot("chart-network", "Cáp ngầm và cáp treo (km) cuối mỗi năm, với chỉ tiêu kế hoạch",
                  "Cable underground and overhead (km) at each year end, with the plan target",
                  wide=True),
        ChartSlot("chart-network-months",
                  "Cáp ngầm và cáp treo (km) cuối mỗi tháng, 24 tháng gần nhất",
                  "Cable underground and overhead (km) at each month end, last 24 months",
                  wide=True),
        ChartSlot("chart-operators", f"Theo doanh nghiệp (km), ngày {on}",
                  f"By operator (km), on {on}"),
        ChartSlot("chart-operators-share", "Tỷ lệ cáp ngầm theo doanh nghiệp (%), cuối mỗi năm",
                  "Share underground by operator (%), at each year end"),
        ChartSlot("chart-communes",
                  f"Theo xã/phường (km), ngày {on}: {TOP_COMMUNES} xã/phường nhiều cáp nhất"
                  " và các xã/phường khác",
                  f"By commune (km), on {on}: the {TOP_COMMUNES} communes with most cable, "
                  "and the others"),
        ChartSlot("chart-tidied", "Tỷ lệ cáp treo đã chỉnh trang và tỷ lệ cáp ngầm (%)",
                  "Share of overhead cable tidied, and share underground (%)"),
        ChartSlot("chart-plans", "Kế hoạch ngầm hóa: chỉ tiêu và kết quả trong năm (km)",
                  "Undergrounding plans: target and achieved in the year (km)"),
        ChartSlot("chart-visits", "Lượt kiểm tra mỗi tháng", "Inspections (visits) per month"),
        ChartSlot("chart-compliance",
                  "Tỷ lệ tuân thủ của các đoạn cáp đã kiểm tra (%), cuối mỗi tháng",
                  "Compliance rate of inspected segments (%), at each month end"),
        ChartSlot("chart-violations", "Vi phạm chưa khắc phục và quá hạn, cuối mỗi tháng",
                  "Unresolved and overdue violations, at each month end"),
        ChartSlot("chart-penalties", "Quyết định xử phạt và số tiền phạt (VND) mỗi năm",
                  "Penalty decisions and fines (VND) per year", wide=True),
    ]


#: The vocabularies the page shows, by the name its script uses.
VOCABULARIES: dict[str, type[StrEnum]] = {
    "placement": Placement,
    "placement_class": PlacementClass,
    "compliance": ComplianceState,
    "violation_state": ViolationState,
    "severity": Severity,
}


def vocabulary() -> dict[str, dict[str, dict[str, str]]]:
    """``{name: {value: {"vi", "en", "colour"}}}`` of :data:`VOCABULARIES`, from
    :data:`gis.choices.LABELS`."""
    return {name: {m.value: {"vi": LABELS[m].vi, "en": LABELS[m].en, "colour": LABELS[m].colour}
                   for m in enum}
            for name, enum in VOCABULARIES.items()}


def figures_json(figures: DashboardFigures | AnnualReport) -> str:
    """The figures as the JSON the API answers (pydantic's rendering of the dataclass)."""
    return TypeAdapter(type(figures)).dump_json(figures).decode()


def format_number(value: float | int | None, digits: int = 0) -> str:
    """``value`` written the Vietnamese way (``1.234,5``); an en dash for None."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def format_percent(share: float | None) -> str:
    """A 0..1 share as a percentage with one decimal (``23,4 %``); an en dash for None."""
    return "–" if share is None else f"{format_number(share * 100, 1)} %"


def format_date(day: date) -> str:
    """``dd/mm/yyyy``."""
    return day.strftime("%d/%m/%Y")


def _query(**params: Any) -> str:
    """``?k=v&...`` of the parameters that are set ('' when none is)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


def embedded_json(text: str) -> str:
    """JSON text made safe inside ``<script type="application/json">`` (no ``</``)."""
    return text.replace("</", "<\\/")


def _common(scope_params: dict[str, Any]) -> dict[str, Any]:
    return {
        "scripts": [static_url(p) for p in SCRIPTS],
        "styles": [static_url(p) for p in STYLES],
        "num": format_number, "pct": format_percent, "day": format_date,
        "query": _query(**scope_params),
        "labels": LABELS, "placement": Placement, "compliance": ComplianceState,
    }


def dashboard_context(figures: DashboardFigures, options: dict[str, list[FilterOption]],
                      *, username: str, first_year: int, this_year: int) -> dict[str, Any]:
    """Context of ``dashboard.html``: the figures (also as JSON), the filter options (years
    ``first_year`` to ``this_year``), the vocabulary for the charts and the links to the
    annual report."""
    scope = {"operator": figures.operator, "commune": figures.commune}
    plan_level = {p.year: p for p in figures.plan_years}
    return {
        **_common(scope),
        "figures": figures,
        "data_json": embedded_json(figures_json(figures)),
        "vocabulary_json": embedded_json(json.dumps(vocabulary(), ensure_ascii=False)),
        "options": options,
        "username": username,
        "plan_year": plan_level,
        "years": list(range(this_year, min(first_year, figures.year) - 1, -1)),
        "data_url": DATA_PATH + _query(**scope, year=figures.year),
        "annual_url": ANNUAL_PATH.format(year=figures.year) + _query(**scope),
        "top_count": TOP_COMMUNES,
        "charts": charts(figures.as_of),
    }


def annual_context(report: AnnualReport, options: dict[str, list[FilterOption]],
                   *, username: str, first_year: int, this_year: int) -> dict[str, Any]:
    """Context of ``annual_report.html``: the report, links to its .xlsx and to the
    dashboard, and the years one may choose (``first_year`` to ``this_year``)."""
    scope = {"operator": report.operator, "commune": report.commune}
    return {
        **_common(scope),
        "report": report,
        "options": options,
        "username": username,
        "years": list(range(this_year, first_year - 1, -1)),
        "xlsx_url": ANNUAL_PATH.format(year=report.year) + ".xlsx" + _query(**scope),
        "dashboard_url": DASHBOARD_PATH + _query(**scope, year=report.year),
    }
