"""Request body of a segment state edit (``POST /segments/{id}/states``)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from gis.choices import Lifecycle, Placement, PlacementKind


class SegmentStateCreate(BaseModel):
    """The segment's new state from ``effective_on`` (fields left out keep their value), and
    why. Send ``If-Match`` with the ETag of ``GET /segments/{id}``."""

    model_config = ConfigDict(extra="forbid")

    effective_on: date = Field(description="First day of the new state (not in the future, "
                               "not before the segment's latest state).",
                               examples=["2026-11-20"])
    placement: Placement | None = Field(None, examples=["underground"])
    placement_kind: PlacementKind | None = Field(None, examples=["duct"])
    tidied: bool | None = Field(None, examples=[True])
    lifecycle: Lifecycle | None = Field(None, examples=["active"])
    note: str = Field(min_length=1, max_length=2000, description="Why the state changes.",
                      examples=["seen undergrounded on inspection, duct along Lê Lợi"])
