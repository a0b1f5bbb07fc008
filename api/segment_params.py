"""The query parameters that choose segments, shared by ``GET /segments`` and the exports:
parsed once here into a :class:`gis.queries.segments.SegmentFilter` (and the ``as_of`` date)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from api.schemas.common import labelled
from api.schemas.network import BBoxQuery
from gis.choices import ComplianceState, Lifecycle, Placement
from gis.queries.segments import SegmentFilter

AsOfQuery = Annotated[date | None, Query(
    description="The date the states and the compliance are taken on (default: today, "
                "Vietnam time). Segments with no state yet on that date are left out.",
    examples=["2024-12-31"])]


def segment_filter(
    bbox: BBoxQuery = None,
    operator: Annotated[list[str] | None, Query(
        description="Operator code; repeat for several.", examples=[["VNPT"]])] = None,
    route: Annotated[str | None, Query(description="Route code.", examples=["VNPT-01"])] = None,
    commune: Annotated[str | None, Query(
        description="Code of the segment's commune (any version of the code).",
        examples=["97002"])] = None,
    placement: Annotated[labelled(Placement) | None, Query(examples=["overhead"])] = None,
    tidied: Annotated[bool | None, Query(description="Tidied (overhead cable).",
                                         examples=[False])] = None,
    lifecycle: Annotated[labelled(Lifecycle) | None, Query(examples=["active"])] = None,
    compliance: Annotated[labelled(ComplianceState) | None, Query(examples=["overdue"])] = None,
) -> SegmentFilter:
    """The segment filters of the query string (they combine with AND); codes are checked
    against the database later, by the query, so an unknown one is a 422 naming it."""
    return SegmentFilter(
        bbox=bbox, operators=tuple(operator or ()), route=route, commune=commune,
        placement=placement, tidied=tidied, lifecycle=lifecycle, compliance=compliance,
    )


SegmentFilterDep = Annotated[SegmentFilter, Depends(segment_filter)]
