"""Wire models of violations: listing, one violation with its history, remediation reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Label, Link, label_of, labelled
from gis.choices import Severity, ViolationState
from gis.compliance.violations import ViolationDetail, ViolationRow

ViolationStateField = labelled(ViolationState)
SeverityField = labelled(Severity)


class ChecklistItemRef(BaseModel):
    """The checklist item a violation failed, with its texts and the clause it comes from."""

    code: str = Field(examples=["C2"])
    text_vi: str = Field(examples=["Có biển báo độ cao treo trên sợi cáp thấp nhất ..."])
    text_en: str = Field(examples=["Height warning sign on the lowest cable ..."])
    clause: str = Field(examples=["QCVN 33:2019/BTTTT 2.1.4; 2.7.2"])
    severity: SeverityField
    severity_label: Label


class ViolationPublic(BaseModel):
    """A violation with its state as of ``as_of`` (null only when it was not yet found then)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 41, "segment_id": 1203, "operator": "VNPT", "inspection_id": 77,
        "item": {"code": "C2", "text_vi": "Có biển báo độ cao ...", "text_en": "Height sign ...",
                 "clause": "QCVN 33:2019/BTTTT 2.1.4; 2.7.2", "severity": "major",
                 "severity_label": {"vi": "Nghiêm trọng", "en": "Major"}},
        "found_at": "2024-03-01T09:30:00+07:00", "due_on": "2024-03-31",
        "remediation_reported_at": None, "closed_at": None, "state": "open",
        "state_label": {"vi": "Đang mở", "en": "Open"}, "overdue": True,
    }]})

    id: int
    segment_id: int
    operator: str = Field(description="Operator code")
    inspection_id: int = Field(description="The visit that found it")
    item: ChecklistItemRef
    found_at: datetime
    due_on: date
    remediation_reported_at: datetime | None
    closed_at: datetime | None = Field(description="Verified closed or withdrawn at")
    state: ViolationStateField | None
    state_label: Label | None
    overdue: bool = Field(description="Unresolved on as_of and past its due date")

    @classmethod
    def of(cls, row: ViolationRow) -> ViolationPublic:
        """Render a :class:`gis.compliance.violations.ViolationRow`."""
        return cls(
            id=row.id, segment_id=row.segment_id, operator=row.operator_code,
            inspection_id=row.inspection_id,
            item=ChecklistItemRef(
                code=row.item_code, text_vi=row.item_text_vi, text_en=row.item_text_en,
                clause=row.clause, severity=Severity(row.severity),
                severity_label=label_of(Severity(row.severity)),
            ),
            found_at=row.found_at, due_on=row.due_on,
            remediation_reported_at=row.remediation_reported_at, closed_at=row.closed_at,
            state=row.state, state_label=label_of(row.state) if row.state else None,
            overdue=row.overdue,
        )


class ViolationPage(BaseModel):
    """One page of violations; follow the ``next`` link for more."""

    as_of: date = Field(description="States are as of the end of this local date",
                        examples=["2026-11-27"])
    items: list[ViolationPublic]
    links: list[Link] = Field(description="``next`` when there are more")


class ViolationEventPublic(BaseModel):
    """One step of a violation's history."""

    state: ViolationStateField
    label: Label
    at: datetime


class ViolationDetailPublic(ViolationPublic):
    """A violation with its history and the penalty decisions that cite it."""

    as_of: date
    remediation_note: str | None = Field(examples=["Đã treo biển báo độ cao\nEvidence: ..."])
    remediation_reported_by: int | None = Field(description="User id of the reporter")
    closed_by_inspection_id: int | None
    history: list[ViolationEventPublic]
    penalty_decisions: list[str] = Field(description="Numbers of the decisions citing it",
                                         examples=[["12/QĐ-XPHC"]])

    @classmethod
    def of_detail(cls, detail: ViolationDetail) -> ViolationDetailPublic:
        """Render a :class:`gis.compliance.violations.ViolationDetail`."""
        return cls(
            **ViolationPublic.of(detail.row).model_dump(),
            as_of=detail.as_of,
            remediation_note=detail.remediation_note,
            remediation_reported_by=detail.remediation_reported_by,
            closed_by_inspection_id=detail.closed_by_inspection_id,
            history=[ViolationEventPublic(state=e.state, label=label_of(e.state), at=e.at)
                     for e in detail.history],
            penalty_decisions=detail.penalty_decisions,
        )


class RemediationCreate(BaseModel):
    """The operator's report that a violation has been fixed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "note": "Đã treo biển báo độ cao tại điểm vượt đường",
        "reported_at": "2024-03-20T16:00:00+07:00",
        "evidence": "https://example.vn/anh/bien-bao-1203.jpg",
    }]})

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=4000)]
    reported_at: AwareDatetime | None = Field(
        default=None, description="When it was fixed (default now); not in the future, not "
        "before the violation was found")
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        Field(default=None, description="Text or a URL (photos, documents)"))
