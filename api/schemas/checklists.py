"""Wire models of the checklist catalogue (versions and items, traced to their sources)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Label, label_of, labelled
from gis.choices import Placement, Severity
from gis.models import ChecklistItem, ChecklistVersion


class ChecklistItemPublic(BaseModel):
    """One check, traced to its clause and sources. ``*_sourced`` false marks a value that is a
    local, configurable choice (no cited text fixes it)."""

    code: str = Field(examples=["C3"])
    position: int = Field(examples=[3])
    text_vi: str = Field(examples=["Cáp dự phòng (cuộn cáp) không quá 10 m"])
    text_en: str = Field(examples=["Slack coil at most 10 m"])
    clause: str = Field(examples=["QCVN 33:2019/BTTTT 2.1.4"])
    sources: list[str] = Field(examples=[["S1 https://example.vn/qcvn33"]])
    severity: labelled(Severity)  # type: ignore[valid-type]
    severity_label: Label
    placements: list[labelled(Placement)]  # type: ignore[valid-type]
    remediation_days: int = Field(examples=[30])
    remediation_days_sourced: bool = Field(examples=[False])
    measure_unit: str | None = Field(examples=["m"])
    limit_kind: Literal["min", "max"] | None = Field(examples=["max"])
    limit_value: Decimal | None = Field(examples=[10])
    limit_sourced: bool | None = Field(examples=[True])

    @classmethod
    def of(cls, item: ChecklistItem) -> ChecklistItemPublic:
        """Render a checklist item row."""
        severity = Severity(item.severity)
        return cls(
            code=item.code, position=item.position, text_vi=item.text_vi, text_en=item.text_en,
            clause=item.clause, sources=list(item.sources), severity=severity,
            severity_label=label_of(severity),
            placements=[Placement(p) for p in item.placements],
            remediation_days=item.remediation_days,
            remediation_days_sourced=item.remediation_days_sourced,
            measure_unit=item.measure_unit, limit_kind=item.limit_kind,  # type: ignore[arg-type]
            limit_value=item.limit_value, limit_sourced=item.limit_sourced,
        )


class ChecklistVersionPublic(BaseModel):
    """A catalogue version: in force from ``effective_from`` until a later one takes over."""

    code: str = Field(examples=["QCVN33-2019/v1"])
    title: str = Field(examples=["Danh mục kiểm tra cáp ngoại vi theo QCVN 33:2019/BTTTT (bản 1)"])
    effective_from: date = Field(examples=["2020-07-01"])
    source: str | None
    content_sha256: str = Field(examples=["9f2c" + "0" * 60])
    loaded_at: datetime = Field(examples=["2026-11-27T03:20:00Z"])
    items: int = Field(examples=[14], description="Number of items")
    in_force: bool = Field(description="Whether this is the version in force today",
                           examples=[True])

    @classmethod
    def of(cls, version: ChecklistVersion, items: int, in_force: bool) -> ChecklistVersionPublic:
        """Render a version row."""
        return cls(code=version.code, title=version.title,
                   effective_from=version.effective_from, source=version.source,
                   content_sha256=version.content_sha256, loaded_at=version.loaded_at,
                   items=items, in_force=in_force)


class ChecklistVersionDetail(ChecklistVersionPublic):
    """A version with its items in catalogue order."""

    checklist: list[ChecklistItemPublic]


class ChecklistInForce(BaseModel):
    """The items an inspector fills in on ``on`` for a segment of ``placement``."""

    on: date = Field(examples=["2024-05-02"])
    placement: labelled(Placement) | None  # type: ignore[valid-type]
    version: str = Field(examples=["QCVN33-2019/v1"])
    items: list[ChecklistItemPublic]
