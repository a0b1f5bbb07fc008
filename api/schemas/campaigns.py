"""Wire models of inspection campaigns: creation, scope and progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Link, labelled
from api.schemas.network import SegmentCollection, SegmentFeature
from gis.choices import Placement, PlacementKind
from gis.compliance.campaign_segments import MyCampaign
from gis.compliance.campaigns import CampaignView

CommuneCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
OperatorCode = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Username = Annotated[str, StringConstraints(min_length=2, max_length=64)]


class CampaignCreate(BaseModel):
    """A campaign to create. Empty ``communes`` / ``operators`` mean the whole province / every
    operator; empty ``inspectors`` means any inspector may record visits under it.
    ``checklist_version`` pins the catalogue version (default: the one in force at each visit).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "KT-2024-03", "name": "Kiểm tra cáp treo tuyến Lý Thường Kiệt",
        "legal_basis": "Quyết định 45/QĐ-SKHCN ngày 20/3/2024",
        "starts_on": "2024-04-01", "ends_on": "2024-05-31",
        "communes": ["12345"], "operators": ["VNPT", "VIETTEL"],
        "inspectors": ["thanh.tra"], "checklist_version": "QCVN33-2019/v1",
    }]})

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$", examples=["KT-2024-03"])
    name: str = Field(min_length=1, max_length=300)
    legal_basis: str = Field(min_length=1, max_length=1000,
                             examples=["Quyết định 45/QĐ-SKHCN ngày 20/3/2024"])
    starts_on: date
    ends_on: date
    communes: list[CommuneCode] = Field(default=[], max_length=500)
    operators: list[OperatorCode] = Field(default=[], max_length=50)
    inspectors: list[Username] = Field(default=[], max_length=100)
    checklist_version: str | None = Field(default=None, max_length=64,
                                          examples=["QCVN33-2019/v1"])
    note: str | None = Field(default=None, max_length=4000)


class CodeName(BaseModel):
    """A commune or operator in a campaign's scope."""

    code: str = Field(examples=["VNPT"])
    name: str = Field(examples=["VNPT Thái Bình"])


class InspectorRef(BaseModel):
    """An inspector assigned to a campaign."""

    username: str = Field(examples=["thanh.tra"])
    full_name: str = Field(examples=["Nguyễn Văn Thanh"])


class CampaignScope(BaseModel):
    """Who and where a campaign covers (empty lists: everything). An operator's user sees
    only its own operator in ``operators``."""

    communes: list[CodeName]
    operators: list[CodeName]
    inspectors: list[InspectorRef]


class CampaignProgressPublic(BaseModel):
    """Where a campaign stands, as you may see it (an operator: its own segments only).
    Segments in scope are those active at the end of the period (or today, if earlier)."""

    segments_in_scope: int = Field(examples=[420])
    km_in_scope: float = Field(examples=[18.7], description="Geodesic kilometres")
    segments_visited: int = Field(examples=[133])
    visits: int = Field(examples=[140])
    violations_opened: int = Field(examples=[27])


class CampaignPublic(BaseModel):
    """A campaign with its scope and progress."""

    id: int = Field(examples=[3])
    code: str = Field(examples=["KT-2024-03"])
    name: str = Field(examples=["Kiểm tra cáp treo tuyến Lý Thường Kiệt"])
    legal_basis: str = Field(examples=["Quyết định 45/QĐ-SKHCN ngày 20/3/2024"])
    starts_on: date = Field(examples=["2024-04-01"])
    ends_on: date = Field(examples=["2024-05-31"])
    checklist_version: str | None = Field(examples=["QCVN33-2019/v1"])
    note: str | None
    created_at: datetime = Field(examples=["2024-03-25T02:15:00Z"])
    created_by: str = Field(examples=["user:thanh.tra"])
    scope: CampaignScope
    progress: CampaignProgressPublic

    @classmethod
    def of(cls, view: CampaignView) -> CampaignPublic:
        """Render a :class:`gis.compliance.campaigns.CampaignView`."""
        c = view.campaign
        p = view.progress
        return cls(
            id=c.id, code=c.code, name=c.name, legal_basis=c.legal_basis,
            starts_on=c.starts_on, ends_on=c.ends_on, checklist_version=view.checklist_version,
            note=c.note, created_at=c.created_at, created_by=c.created_by,
            scope=CampaignScope(
                communes=[CodeName(code=code, name=name) for code, name in view.communes],
                operators=[CodeName(code=code, name=name) for code, name in view.operators],
                inspectors=[InspectorRef(username=u, full_name=n) for u, n in view.inspectors],
            ),
            progress=CampaignProgressPublic(
                segments_in_scope=p.segments_in_scope, km_in_scope=round(p.km_in_scope, 3),
                segments_visited=p.segments_visited, visits=p.visits,
                violations_opened=p.violations_opened,
            ),
        )


class CampaignPage(BaseModel):
    """A page of campaigns in id order; follow the ``next`` link for more."""

    items: list[CampaignPublic]
    links: list[Link]
    number_returned: int = Field(examples=[10])


class MyCampaignPublic(CampaignPublic):
    """A campaign running today that you may record visits under: one naming you among its
    inspectors (``assigned_to_me``), or one naming no inspector (open to every inspector)."""

    assigned_to_me: bool = Field(examples=[True])

    @classmethod
    def of_mine(cls, mine: MyCampaign) -> MyCampaignPublic:
        """Render a :class:`gis.compliance.campaign_segments.MyCampaign`."""
        return cls(**CampaignPublic.of(mine.view).model_dump(),
                   assigned_to_me=mine.assigned_to_me)


class MyCampaigns(BaseModel):
    """Your campaigns running on ``on`` (local date): those naming you first."""

    on: date = Field(examples=["2024-05-02"])
    items: list[MyCampaignPublic]


class CampaignSegmentProperties(BaseModel):
    """A segment in a campaign's scope, in its current state, with the campaign's visits."""

    route: str | None = Field(examples=["VNPT-LTK-01"], description="Route code.")
    operator: str | None = Field(examples=["VNPT"], description="Operator code.")
    placement: labelled(Placement) = Field(examples=["overhead"])  # type: ignore[valid-type]
    placement_kind: labelled(PlacementKind) = Field(  # type: ignore[valid-type]
        examples=["aerial"])
    tidied: bool = Field(examples=[False])
    length_m: float = Field(examples=[118.42], description="Geodesic length, metres.")
    visited: bool = Field(examples=[True], description="A visit was recorded under the "
                                                       "campaign (by anyone).")
    visited_by_me: bool = Field(examples=[False], description="One of them is yours.")
    visits: int = Field(examples=[1], description="Visits recorded under the campaign.")
    last_visited_at: datetime | None = Field(examples=["2024-05-02T09:30:00+07:00"])


class CampaignSegmentFeature(SegmentFeature):
    """A segment of a campaign as a GeoJSON Feature (WGS 84 longitude/latitude)."""

    properties: CampaignSegmentProperties  # type: ignore[assignment]


class CampaignSegmentCollection(SegmentCollection):
    """A page of a campaign's segments as a GeoJSON FeatureCollection."""

    features: list[CampaignSegmentFeature]  # type: ignore[assignment]
