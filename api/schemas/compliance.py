"""Wire models of compliance states: the network summary and one segment's state with facts."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Label, label_of, labelled
from gis.choices import LABELS, ComplianceState, Lifecycle, ViolationState
from gis.compliance.state import ComplianceGroup, SegmentCompliance

ComplianceStateField = labelled(ComplianceState)


class SummaryGroupBy(StrEnum):
    """How the summary is grouped."""

    OPERATOR = "operator"
    COMMUNE = "commune"


class GroupRef(BaseModel):
    """The operator or commune of a summary row."""

    code: str | None = Field(examples=["VNPT"], description="Null: segments in no commune")
    name: str | None = Field(examples=["VNPT Thái Bình"])


class ComplianceRow(BaseModel):
    """Segments in one compliance state (within one group)."""

    group: GroupRef | None = Field(description="Null when not grouped")
    state: ComplianceStateField
    label: Label
    colour: str = Field(examples=["#a50f15"], description="Map colour (CSS hex)")
    segments: int
    km: float = Field(description="Sum of geodesic segment lengths, km")

    @classmethod
    def of(cls, row: ComplianceGroup, grouped: bool) -> ComplianceRow:
        """Render a :class:`gis.compliance.state.ComplianceGroup`."""
        return cls(
            group=GroupRef(code=row.code, name=row.name) if grouped else None,
            state=row.state, label=label_of(row.state), colour=LABELS[row.state].colour,
            segments=row.segments, km=round(row.km, 3),
        )


class ComplianceSummary(BaseModel):
    """Counts and km of active segments per compliance state on a date."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "as_of": "2024-12-31", "stale_after_days": 365, "group_by": "operator",
        "rows": [{"group": {"code": "VNPT", "name": "VNPT Thái Bình"}, "state": "overdue",
                  "label": {"vi": "Quá hạn khắc phục", "en": "Overdue"}, "colour": "#a50f15",
                  "segments": 12, "km": 3.41}],
    }]})

    as_of: date
    stale_after_days: int
    group_by: SummaryGroupBy | None
    rows: list[ComplianceRow]


class UnresolvedViolationPublic(BaseModel):
    """A violation unresolved on the date asked."""

    id: int
    item_code: str = Field(examples=["C2"])
    item_text_vi: str
    item_text_en: str
    found_on: date
    due_on: date
    state: labelled(ViolationState)
    overdue: bool


class SegmentCompliancePublic(BaseModel):
    """A segment's compliance state on a date and the facts behind it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "segment_id": 1203, "operator": "VNPT", "as_of": "2024-03-10", "state": "overdue",
        "label": {"vi": "Quá hạn khắc phục", "en": "Overdue"}, "lifecycle": "active",
        "last_visit_on": "2024-02-20", "visits": 1, "stale_after_days": 365,
        "unresolved_violations": [{"id": 41, "item_code": "C2", "item_text_vi": "...",
                                   "item_text_en": "...", "found_on": "2024-02-20",
                                   "due_on": "2024-03-05", "state": "open", "overdue": True}],
    }]})

    segment_id: int
    operator: str
    as_of: date
    state: ComplianceStateField
    label: Label
    lifecycle: labelled(Lifecycle) | None = Field(
        description="Null when the segment had no recorded state yet on as_of")
    last_visit_on: date | None = Field(description="Local date of the last visit on or before")
    visits: int = Field(description="Visits on or before as_of")
    stale_after_days: int
    unresolved_violations: list[UnresolvedViolationPublic]

    @classmethod
    def of(cls, facts: SegmentCompliance) -> SegmentCompliancePublic:
        """Render a :class:`gis.compliance.state.SegmentCompliance`."""
        return cls(
            segment_id=facts.segment_id, operator=facts.operator_code, as_of=facts.as_of,
            state=facts.state, label=label_of(facts.state), lifecycle=facts.lifecycle,
            last_visit_on=facts.last_visit_on, visits=facts.visits,
            stale_after_days=facts.stale_after_days,
            unresolved_violations=[
                UnresolvedViolationPublic(
                    id=u.id, item_code=u.item_code, item_text_vi=u.item_text_vi,
                    item_text_en=u.item_text_en, found_on=u.found_on, due_on=u.due_on,
                    state=u.state, overdue=u.overdue,
                ) for u in facts.unresolved
            ],
        )
