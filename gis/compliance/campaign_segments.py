"""An inspector's campaigns and their segments: what the field viewer's "my campaign" shows.

"My" campaigns are those running on a local date (Asia/Ho_Chi_Minh) that name the caller among
their inspectors, or that name no inspector at all (any inspector may record under them;
``assigned_to_me`` tells the two apart). A campaign's segments are the segments in its scope as
:mod:`gis.compliance.campaigns` counts its progress (operators, communes by midpoint, active at
the end of the period or today if earlier); each is flagged ``visited`` when a visit was
recorded under the campaign, and ``visited_by_me`` when one of them is the caller's.

Geometry is GeoJSON in EPSG:4326 (7 decimals); lengths are the stored geodesic metres.
Row-level security applies: an operator's user sees only its own segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from gis.compliance.campaigns import CampaignView, get_campaign, scope_sql
from gis.errors import NotFoundError
from gis.models import Campaign, campaign_inspectors
from gis.queries.common import DEFAULT_LIMIT, FeaturePage, page_of


@dataclass(frozen=True)
class MyCampaign:
    """A campaign running today that the caller may record visits under: named among its
    inspectors (``assigned_to_me``), or open to every inspector (no inspector named)."""

    view: CampaignView
    assigned_to_me: bool


@dataclass(frozen=True)
class CampaignSegmentFilter:
    """Which of a campaign's segments to list: None does not filter. ``visited`` is about
    visits under the campaign by anyone, ``visited_by_me`` by the caller."""

    visited: bool | None = None
    visited_by_me: bool | None = None


def list_my_campaigns(session: Session, user_id: int, on: date) -> list[MyCampaign]:
    """The campaigns running on the local date ``on`` that name user ``user_id`` among their
    inspectors or name no inspector, named ones first, then by start date and id."""
    named = exists().where(campaign_inspectors.c.campaign_id == Campaign.id,
                           campaign_inspectors.c.user_id == user_id)
    anyone = ~exists().where(campaign_inspectors.c.campaign_id == Campaign.id)
    stmt = (select(Campaign.id, named.label("assigned"))
            .where(Campaign.starts_on <= on, Campaign.ends_on >= on, named | anyone)
            .order_by(named.desc(), Campaign.starts_on, Campaign.id))
    return [MyCampaign(get_campaign(session, row.id, on), bool(row.assigned))
            for row in session.execute(stmt)]


#: One GeoJSON Feature per scoped segment, in its current state (the segment's own columns,
#: which the history trigger keeps equal to its latest state row).
_SEGMENTS_SQL = """
    WITH scoped AS ({scoped}),
    page AS (
      SELECT s.id, s.geom, s.route_id, s.operator_id, s.placement, s.placement_kind, s.tidied,
             s.length_m, v.visits, v.mine, v.last_visited_at
        FROM scoped
        JOIN cable_segments s ON s.id = scoped.id
        CROSS JOIN LATERAL (
          SELECT count(*) AS visits,
                 count(*) FILTER (WHERE i.inspector_id = :user_id) AS mine,
                 max(i.visited_at) AS last_visited_at
            FROM inspections i
           WHERE i.segment_id = s.id AND i.campaign_id = :id) v
       WHERE s.id > :after{filters}
       ORDER BY s.id
       LIMIT :fetch)
    SELECT p.id, json_build_object(
      'type', 'Feature',
      'id', p.id,
      'geometry', ST_AsGeoJSON(p.geom, 7, 0)::json,
      'properties', json_build_object(
        'route', (SELECT r.code FROM cable_routes r WHERE r.id = p.route_id),
        'operator', (SELECT o.code FROM operators o WHERE o.id = p.operator_id),
        'placement', p.placement,
        'placement_kind', p.placement_kind,
        'tidied', p.tidied,
        'length_m', round(p.length_m::numeric, 2),
        'visited', p.visits > 0,
        'visited_by_me', p.mine > 0,
        'visits', p.visits,
        'last_visited_at', p.last_visited_at))::text
      FROM page p
     ORDER BY p.id"""

_FILTERS = {
    ("visited", True): "v.visits > 0",
    ("visited", False): "v.visits = 0",
    ("visited_by_me", True): "v.mine > 0",
    ("visited_by_me", False): "v.mine = 0",
}


def campaign_segments_query(
    session: Session, campaign: Campaign, user_id: int, today: date,
    flt: CampaignSegmentFilter = CampaignSegmentFilter(), *,
    limit: int = DEFAULT_LIMIT, after: int = 0,
) -> tuple[str, dict[str, object]]:
    """The SQL and parameters of :func:`list_campaign_segments` (e.g. for EXPLAIN); rows are
    ``(id, feature_text)``, ``limit + 1`` at most."""
    scoped = scope_sql(session, campaign)
    filters = "".join(
        f" AND {_FILTERS[name, value]}"
        for name, value in (("visited", flt.visited), ("visited_by_me", flt.visited_by_me))
        if value is not None)
    sql = _SEGMENTS_SQL.format(scoped=scoped, filters=filters)
    return sql, {"id": campaign.id, "on": min(campaign.ends_on, today), "user_id": user_id,
                 "after": after, "fetch": limit + 1}


def list_campaign_segments(
    session: Session, campaign_id: int, user_id: int, today: date,
    flt: CampaignSegmentFilter = CampaignSegmentFilter(), *,
    limit: int = DEFAULT_LIMIT, after: int = 0,
) -> FeaturePage:
    """One keyset page (by id, after ``after``) of the segments in campaign ``campaign_id``'s
    scope as GeoJSON Feature texts (EPSG:4326; ``length_m`` geodesic metres) with ``visited``
    (a visit under the campaign), ``visited_by_me`` (one by user ``user_id``), ``visits`` and
    ``last_visited_at``. Raises NotFoundError when the campaign does not exist or is hidden
    from the caller."""
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id))
    if campaign is None:  # the message of get_campaign: hidden and missing look the same
        raise NotFoundError(f"campaign {campaign_id} does not exist")
    sql, params = campaign_segments_query(session, campaign, user_id, today, flt,
                                          limit=limit, after=after)
    rows = [tuple(row) for row in session.execute(text(sql), params)]
    return page_of(rows, limit)
