"""Wire models of placement-change reports (an operator's undergrounding or tidying)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Label, Link, label_of, labelled
from gis.choices import Placement, PlacementKind, ReportStatus
from gis.models import PlacementReport

PlacementField = labelled(Placement)
PlacementKindField = labelled(PlacementKind)
ReportStatusField = labelled(ReportStatus)
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class PlacementReportCreate(BaseModel):
    """An operator's report that a segment was undergrounded or tidied."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "segment_id": 1203, "effective_on": "2024-06-30", "placement": "underground",
        "placement_kind": "duct", "tidied": True,
        "evidence": "Biên bản nghiệm thu số 45/BB-VNPT ngày 30/6/2024; ảnh: https://...",
    }]})

    segment_id: int = Field(ge=1)
    effective_on: date = Field(description="Local date of the change; not in the future")
    placement: PlacementField
    placement_kind: PlacementKindField | None = Field(
        default=None, description="Must fit the placement; default aerial / duct")
    tidied: bool
    evidence: Note = Field(description="Acceptance record, photos, URL …")


class ReportConfirm(BaseModel):
    """An inspector's confirmation, with an optional note."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"note": "Đã kiểm tra thực địa ngày 02/7/2024"}]})

    note: Note | None = None


class ReportReject(BaseModel):
    """An inspector's rejection, saying why."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"note": "Cáp treo vẫn còn trên cột tại đoạn này"}]})

    note: Note


class PlacementReportPublic(BaseModel):
    """A placement-change report and its decision."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 7, "segment_id": 1203, "operator": "VNPT", "reported_by": 12,
        "reported_at": "2024-07-01T08:00:00+07:00", "effective_on": "2024-06-30",
        "placement": "underground", "placement_kind": "duct", "tidied": True,
        "evidence": "Biên bản nghiệm thu số 45/BB-VNPT", "status": "confirmed",
        "status_label": {"vi": "Đã xác nhận", "en": "Confirmed"}, "decided_by": 3,
        "decided_at": "2024-07-02T10:00:00+07:00", "decision_note": None, "state_id": 9001,
    }]})

    id: int
    segment_id: int
    operator: str
    reported_by: int = Field(description="User id")
    reported_at: datetime
    effective_on: date
    placement: PlacementField
    placement_kind: PlacementKindField
    tidied: bool
    evidence: str
    status: ReportStatusField
    status_label: Label
    decided_by: int | None = Field(description="User id of the inspector who decided")
    decided_at: datetime | None
    decision_note: str | None
    state_id: int | None = Field(description="The segment_states row written on confirmation")

    @classmethod
    def of(cls, report: PlacementReport, operator_code: str) -> PlacementReportPublic:
        """Render a report row."""
        status = ReportStatus(report.status)
        return cls(
            id=report.id, segment_id=report.segment_id, operator=operator_code,
            reported_by=report.reported_by, reported_at=report.reported_at,
            effective_on=report.effective_on, placement=Placement(report.placement),
            placement_kind=PlacementKind(report.placement_kind), tidied=report.tidied,
            evidence=report.evidence, status=status, status_label=label_of(status),
            decided_by=report.decided_by, decided_at=report.decided_at,
            decision_note=report.decision_note, state_id=report.state_id,
        )


class PlacementReportPage(BaseModel):
    """One page of placement-change reports."""

    items: list[PlacementReportPublic]
    links: list[Link]
