"""Wire models of penalty decisions and the legal provisions they cite."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Link
from api.schemas.violations import ViolationPublic
from gis.compliance.penalties import Provision

Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ProvisionPublic(BaseModel):
    """A legal provision held as data, with its fine range when sourced."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key": "ND15-2020/D40/K3/2022", "decree": "15/2020/NĐ-CP", "article": "40", "clause": "3",
        "amended_by": "Nghị định 14/2022/NĐ-CP, Điều 1 khoản 17",
        "citation": "Nghị định 15/2020/NĐ-CP, Điều 40 khoản 3 (sửa đổi bởi ...)",
        "in_force_from": "2022-01-27", "in_force_to": None, "min_vnd": 50000000,
        "max_vnd": 70000000, "range_checked": True, "title_vi": "...", "title_en": "...",
        "sources": ["S11 https://thanhphohaiphong.gov.vn/..."], "note": None,
    }]})

    key: str
    decree: str
    article: str
    clause: str | None
    amended_by: str | None
    citation: str
    in_force_from: date | None
    in_force_to: date | None
    min_vnd: int | None
    max_vnd: int | None
    range_checked: bool = Field(description="False when the range is unsourced")
    title_vi: str
    title_en: str
    sources: list[str]
    note: str | None

    @classmethod
    def of(cls, provision: Provision) -> ProvisionPublic:
        """Render a :class:`gis.compliance.penalties.Provision`."""
        return cls(**provision.model_dump(), citation=provision.citation(),
                   range_checked=provision.has_range)


class PenaltyDecisionCreate(BaseModel):
    """A penalty decision to record."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "number": "12/QĐ-XPHC", "decided_on": "2024-05-10", "operator": "VNPT",
        "decree": "15/2020/NĐ-CP", "article": "40", "clause": "3", "amount_vnd": 55000000,
        "violation_ids": [41, 42], "note": "Không thu hồi cáp không sử dụng",
    }]})

    number: Text64 = Field(description="Decision number (unique)")
    decided_on: date = Field(description="Decision date (local); not in the future")
    operator: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=16)]
    decree: Text64 = Field(examples=["15/2020/NĐ-CP"])
    article: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=16)] = Field(examples=["40"])
    clause: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = (
        Field(default=None, examples=["3"]))
    amount_vnd: int = Field(gt=0, le=10_000_000_000, description="Fine in VND")
    violation_ids: list[int] = Field(default_factory=list, max_length=500)
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None


class PenaltyDecisionPublic(BaseModel):
    """A recorded penalty decision and the known provision it cites (if any)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "number": "12/QĐ-XPHC", "decided_on": "2024-05-10", "operator": "VNPT",
        "decree": "15/2020/NĐ-CP", "article": "40", "clause": "3", "amount_vnd": 55000000,
        "note": None, "violation_ids": [41, 42], "provision": "ND15-2020/D40/K3/2022",
        "created_at": "2024-05-10T09:00:00+07:00", "created_by": "user:inspector-1",
    }]})

    id: int
    number: str
    decided_on: date
    operator: str
    decree: str
    article: str
    clause: str | None
    amount_vnd: int
    note: str | None
    violation_ids: list[int]
    provision: str | None = Field(description="Key of the known provision cited, if any")
    created_at: datetime
    created_by: str


class PenaltyDecisionDetail(PenaltyDecisionPublic):
    """A decision with the violations it punishes (their state today)."""

    violations: list[ViolationPublic]


class PenaltyDecisionPage(BaseModel):
    """One page of penalty decisions."""

    items: list[PenaltyDecisionPublic]
    total_vnd: int = Field(description="Sum of the amounts on this page",
                           examples=[28_250_000])
    links: list[Link]


class ProvisionList(BaseModel):
    """The known legal provisions."""

    items: list[ProvisionPublic]
