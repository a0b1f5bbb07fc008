"""The progress and compliance maps as HTML pages (folium), for the browser.

Both take the date (``as_of``) and the filters (``operator``, repeatable; ``commune``) of the
command line's ``telecom-gis map``; their scripts and styles load from the app's ``/static``
(no CDN). Pages: a browser without a session is sent to ``/login``. An operator's user sees
only its own operator's network (row-level security applies to its session).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import ReadPagePrincipalDep, ReadSessionDep, SettingsDep
from api.problems import fields_at
from gis.queries.map_data import MapFilter
from maps.compliance_map import build_compliance_map
from maps.progress import build_progress_map

router = APIRouter(prefix="/maps", tags=["maps"])

AsOfQuery = Annotated[date | None, Query(
    description="The date the map shows (default: today, Vietnam time).",
    examples=["2024-12-31"])]
OperatorQuery = Annotated[list[str] | None, Query(
    description="Operator code; repeat for several.", examples=[["VNPT"]])]
CommuneQuery = Annotated[str | None, Query(
    description="Commune code, in its version in force on `as_of`.", examples=["98001"])]
LangQuery = Annotated[Literal["vi", "en"], Query(description="Language of the labels.")]


def _filter(as_of: date | None, operator: list[str] | None, commune: str | None) -> MapFilter:
    """The query parameters as the maps' filter (checked when the map is built)."""
    return MapFilter(as_of=as_of, operators=tuple(operator or ()), commune=commune)


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
def progress_map(
    _: ReadPagePrincipalDep, session: ReadSessionDep, settings: SettingsDep,
    as_of: AsOfQuery = None,
    operator: OperatorQuery = None, commune: CommuneQuery = None, lang: LangQuery = "vi",
) -> HTMLResponse:
    """Placement map (overhead / tidied / underground, one layer per operator) with the commune
    choropleth of the underground share and the plan targets; above
    `TELECOM_GIS_MAP_TILES_ABOVE` segments the network is drawn from `/tiles`. Bad filters are
    422."""
    with fields_at("query"):
        page = build_progress_map(session, _filter(as_of, operator, commune),
                                  settings=settings, lang=lang, served=True)
    return HTMLResponse(page.render("url"))


@router.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
def compliance_map(
    _: ReadPagePrincipalDep, session: ReadSessionDep, settings: SettingsDep,
    as_of: AsOfQuery = None,
    operator: OperatorQuery = None, commune: CommuneQuery = None, lang: LangQuery = "vi",
) -> HTMLResponse:
    """Segments by compliance state, open violations clustered, overdue ones standing out.
    Bad filters are 422."""
    with fields_at("query"):
        page = build_compliance_map(session, _filter(as_of, operator, commune),
                                    settings=settings, lang=lang)
    return HTMLResponse(page.render("url"))
