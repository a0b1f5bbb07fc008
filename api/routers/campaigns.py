"""Inspection campaigns (cuộc kiểm tra): create them, read their scope and progress. The rules
live in :mod:`gis.compliance.campaigns`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import Inspector, PrincipalDep, SessionDep
from api.problems import problem_responses
from api.schemas.campaigns import (
    CampaignCreate,
    CampaignPage,
    CampaignPublic,
    CampaignSegmentCollection,
    MyCampaignPublic,
    MyCampaigns,
)
from api.schemas.common import INT4_MAX, Link, id_path
from api.schemas.network import AfterQuery, GeoJSONResponse, LimitQuery, geojson_page
from api.visit_problems import visit_problems
from gis.compliance.campaign_segments import (
    CampaignSegmentFilter,
    list_campaign_segments,
    list_my_campaigns,
)
from gis.compliance.campaigns import (
    CampaignInput,
    create_campaign,
    get_campaign,
    list_campaigns,
)
from gis.compliance.rules import local_today
from gis.queries.common import DEFAULT_LIMIT

CampaignId = id_path("campaign", example=3)

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "",
    status_code=201,
    response_model=CampaignPublic,
    summary="Create an inspection campaign",
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
)
def create(body: CampaignCreate, response: Response, session: SessionDep,
           principal: Inspector) -> CampaignPublic:
    """Create a campaign (admins and inspectors). Communes are 5-digit codes of communes in
    force during the period, operators are operator codes, inspectors are usernames of
    inspector users; each unknown one is a 422 naming its position (`body.operators[1]`).
    A code already used is 409."""
    data = CampaignInput(
        code=body.code, name=body.name, legal_basis=body.legal_basis,
        starts_on=body.starts_on, ends_on=body.ends_on, communes=tuple(body.communes),
        operators=tuple(body.operators), inspectors=tuple(body.inspectors),
        checklist_version=body.checklist_version, note=body.note,
    )
    with visit_problems():
        campaign = create_campaign(session, principal, data)
    response.headers["Location"] = f"/campaigns/{campaign.id}"
    return CampaignPublic.of(get_campaign(session, campaign.id, local_today()))


@router.get(
    "",
    response_model=CampaignPage,
    summary="List campaigns with scope and progress",
    responses=problem_responses(401, 422),
)
def list_(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    active_on: Annotated[date | None, Query(
        description="Only campaigns whose period includes this date")] = None,
    after: Annotated[int | None, Query(ge=0, le=INT4_MAX,
                                       description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CampaignPage:
    """Campaigns in id order. An operator's user sees the campaigns that name its operator,
    with progress on its own segments."""
    rows = list_campaigns(session, local_today(), after=after, limit=limit + 1,
                          active_on=active_on)
    page = rows[:limit]
    links = [Link(rel="self", href=str(request.url), type="application/json")]
    if len(rows) > limit:
        links.append(Link(rel="next", type="application/json",
                          href=str(request.url.include_query_params(
                              after=page[-1].campaign.id))))
    return CampaignPage(items=[CampaignPublic.of(v) for v in page], links=links,
                        number_returned=len(page))


@router.get(
    "/mine",
    response_model=MyCampaigns,
    summary="Your campaigns running today",
    responses=problem_responses(401),
)
def mine(session: SessionDep, principal: PrincipalDep) -> MyCampaigns:
    """The campaigns running today (Vietnam time) that name you among their inspectors
    (`assigned_to_me`), then those naming no inspector (any inspector may record under them):
    what the field viewer's "my campaign" shows."""
    today = local_today()
    return MyCampaigns(on=today, items=[
        MyCampaignPublic.of_mine(m) for m in list_my_campaigns(session, principal.user_id, today)])


@router.get(
    "/{campaign_id}/segments",
    response_model=CampaignSegmentCollection,
    response_class=GeoJSONResponse,
    summary="A campaign's segments, visited or not (GeoJSON)",
    responses=problem_responses(401, 404, 422),
)
def segments(
    campaign_id: CampaignId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    visited: Annotated[bool | None, Query(
        description="Only segments with (true) or without (false) a visit under the campaign",
        examples=[False])] = None,
    visited_by_me: Annotated[bool | None, Query(
        description="Only segments you did (true) or did not (false) visit under the campaign",
        examples=[False])] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    after: AfterQuery = 0,
) -> Response:
    """The segments in the campaign's scope (as its progress counts them) by id, as a GeoJSON
    FeatureCollection (`application/geo+json`), each with `visited` (a visit recorded under the
    campaign), `visited_by_me`, `visits` and `last_visited_at`. Keyset pagination: follow the
    `next` link. 404 when the campaign does not exist or is hidden from you."""
    page = list_campaign_segments(
        session, campaign_id, principal.user_id, local_today(),
        CampaignSegmentFilter(visited=visited, visited_by_me=visited_by_me),
        limit=limit, after=after)
    return geojson_page(request, page)


@router.get(
    "/{campaign_id}",
    response_model=CampaignPublic,
    summary="One campaign with scope and progress",
    responses=problem_responses(401, 404, 422),
)
def read(campaign_id: CampaignId, session: SessionDep, principal: PrincipalDep) -> CampaignPublic:
    """A campaign; 404 when it does not exist or (for an operator's user) does not name its
    operator."""
    return CampaignPublic.of(get_campaign(session, campaign_id, local_today()))
