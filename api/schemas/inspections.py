"""Wire models of visits (inspections): the POST body, the visit as returned, list pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from geoalchemy2.shape import to_shape
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Label, Link, PointGeometry, label_of, labelled
from gis.choices import ItemResult, Placement, Severity, ViolationState
from gis.compliance import visit_queries
from gis.models import Photo

VISIT_EXAMPLE = {
    "segment_id": 1234,
    "position": {"lon": 106.3402, "lat": 20.4501, "accuracy_m": 4.5},
    "visited_at": "2024-05-02T09:30:00+07:00",
    "campaign_id": 3,
    "note": "Cột số 12 đường Lý Thường Kiệt",
    "photos": 2,
    "results": [
        {"item": "C1", "result": "pass"},
        {"item": "C3", "result": "fail", "measured_value": 14.5, "note": "cuộn cáp 14,5 m"},
        {"item": "C7", "result": "not_checked"},
    ],
}


class PositionIn(BaseModel):
    """The inspector's GPS fix: WGS 84 longitude/latitude (EPSG:4326), accuracy in metres."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, examples=[106.3402])
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, examples=[20.4501])
    accuracy_m: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False,
                                     examples=[4.5])


class ResultIn(BaseModel):
    """One checklist result; ``measured_value`` is in the item's ``measure_unit``."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=8, examples=["C3"])
    result: labelled(ItemResult)  # type: ignore[valid-type]
    measured_value: Decimal | None = Field(default=None, max_digits=12, decimal_places=4,
                                           allow_inf_nan=False, examples=[14.5])
    note: str | None = Field(default=None, max_length=2000, examples=["cuộn cáp 14,5 m"])


class CorrectsIn(BaseModel):
    """Which earlier visit this one corrects, and why."""

    model_config = ConfigDict(extra="forbid")

    inspection_id: int = Field(ge=1, examples=[41])
    reason: str = Field(min_length=1, max_length=2000,
                        examples=["C3 ghi nhầm: cuộn cáp 8 m, không phải 14,5 m"])


class InspectionCreate(BaseModel):
    """A visit to record. Give ``segment_id``, or a ``position`` to snap to the nearest segment
    within ``snap_radius_m`` metres (default from the settings); with both, the segment is the
    one given and the position is kept as the GPS fix. ``photos`` is how many photos will be
    uploaded to ``/inspections/{id}/photos/{slot}``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [VISIT_EXAMPLE]})

    segment_id: int | None = Field(default=None, ge=1, examples=[1234])
    position: PositionIn | None = None
    snap_radius_m: float | None = Field(default=None, gt=0, le=500, examples=[30])
    visited_at: AwareDatetime = Field(examples=["2024-05-02T09:30:00+07:00"])
    campaign_id: int | None = Field(default=None, ge=1, examples=[3])
    note: str | None = Field(default=None, max_length=4000)
    photos: int = Field(default=0, ge=0, le=50, examples=[2])
    results: list[ResultIn] = Field(max_length=200)
    corrects: CorrectsIn | None = None

    @model_validator(mode="after")
    def _segment_or_position(self) -> InspectionCreate:
        if self.segment_id is None and self.position is None:
            raise ValueError("give segment_id, or a position to snap to the nearest segment")
        return self


class ResultPublic(BaseModel):
    """A recorded result with its checklist item."""

    item: str = Field(examples=["C3"])
    text_vi: str = Field(examples=["Cáp dự phòng (cuộn cáp) không quá 10 m"])
    text_en: str = Field(examples=["Slack coil at most 10 m"])
    severity: labelled(Severity)  # type: ignore[valid-type]
    severity_label: Label
    result: labelled(ItemResult)  # type: ignore[valid-type]
    result_label: Label
    measured_value: Decimal | None = Field(examples=[14.5])
    measure_unit: str | None = Field(examples=["m"])
    note: str | None = None


class PhotoSlot(BaseModel):
    """One announced photo: missing until it arrives, then its SHA-256 and where to get it."""

    slot: int = Field(examples=[1])
    state: Literal["missing", "received"] = Field(examples=["received"])
    url: str = Field(examples=["/inspections/57/photos/1"])
    sha256: str | None = Field(default=None, examples=["9f86d08188...b0f00a08"])
    media_type: str | None = Field(default=None, examples=["image/jpeg"])
    size_bytes: int | None = Field(default=None, examples=[482113])
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = Field(default=None, description="From EXIF, when present")
    position: PointGeometry | None = Field(default=None, description="EXIF GPS, WGS 84")

    @classmethod
    def of(cls, inspection_id: int, slot: int, photo: Photo | None) -> PhotoSlot:
        """The slot of a visit, with its photo when it arrived."""
        url = f"/inspections/{inspection_id}/photos/{slot}"
        if photo is None:
            return cls(slot=slot, state="missing", url=url)
        position = None
        if photo.position is not None:
            point = to_shape(photo.position)
            position = PointGeometry(coordinates=[point.x, point.y])
        return cls(slot=slot, state="received", url=url, sha256=photo.sha256,
                   media_type=photo.media_type, size_bytes=photo.size_bytes, width=photo.width,
                   height=photo.height,
                   taken_at=photo.taken_at.astimezone(UTC) if photo.taken_at else None,
                   position=position)


class ViolationRef(BaseModel):
    """A violation the visit opened, verified closed, or withdrew (its current state)."""

    id: int = Field(examples=[88])
    item: str = Field(examples=["C3"])
    due_on: date = Field(examples=["2024-06-01"])
    state: labelled(ViolationState)  # type: ignore[valid-type]

    @classmethod
    def of(cls, ref: visit_queries.ViolationRef) -> ViolationRef:
        """Render a :class:`gis.compliance.visit_queries.ViolationRef`."""
        return cls(id=ref.id, item=ref.item, due_on=ref.due_on, state=ViolationState(ref.state))


class VisitViolations(BaseModel):
    """Violations derived from the visit."""

    opened: list[ViolationRef]
    closed: list[ViolationRef]
    withdrawn: list[ViolationRef]


class InspectionPublic(BaseModel):
    """A recorded visit. ``position`` is the GPS fix (WGS 84); ``snapped_distance_m`` the
    geodesic distance in metres from it to the segment when the segment was found by snapping.
    ``complete`` is true when every announced photo has arrived."""

    id: int = Field(examples=[57])
    segment_id: int = Field(examples=[1234])
    operator: str = Field(examples=["VNPT"])
    inspector: str | None = Field(examples=["thanh.tra"],
                                  description="Username (null when hidden from you)")
    campaign_id: int | None = Field(examples=[3])
    campaign: str | None = Field(examples=["KT-2024-03"])
    visited_at: datetime = Field(examples=["2024-05-02T02:30:00Z"], description="In UTC")
    recorded_at: datetime = Field(examples=["2024-05-02T03:31:05Z"], description="In UTC")
    placement: labelled(Placement)  # type: ignore[valid-type]
    checklist_version: str = Field(examples=["QCVN33-2019/v1"])
    position: PointGeometry | None = None
    position_accuracy_m: float | None = Field(examples=[4.5])
    snapped_distance_m: float | None = Field(examples=[2.8])
    note: str | None = None
    corrects_id: int | None = Field(examples=[None])
    correction_reason: str | None = None
    corrected_by_id: int | None = Field(examples=[None])
    results: list[ResultPublic]
    photos_expected: int = Field(examples=[2])
    photos: list[PhotoSlot]
    complete: bool = Field(examples=[False])
    violations: VisitViolations

    @classmethod
    def of(cls, view: visit_queries.VisitView) -> InspectionPublic:
        """Render a :class:`gis.compliance.visit_queries.VisitView`."""
        i = view.inspection
        position = (PointGeometry(coordinates=[view.lon, view.lat])
                    if view.lon is not None and view.lat is not None else None)
        return cls(
            id=i.id, segment_id=i.segment_id, operator=view.operator, inspector=view.inspector,
            campaign_id=i.campaign_id, campaign=view.campaign,
            visited_at=i.visited_at.astimezone(UTC),
            recorded_at=i.recorded_at.astimezone(UTC), placement=Placement(i.placement),
            checklist_version=view.checklist_version, position=position,
            position_accuracy_m=i.position_accuracy_m, snapped_distance_m=i.snapped_distance_m,
            note=i.note, corrects_id=i.corrects_id, correction_reason=i.correction_reason,
            corrected_by_id=view.corrected_by_id,
            results=[
                ResultPublic(
                    item=r.item, text_vi=r.text_vi, text_en=r.text_en,
                    severity=Severity(r.severity), severity_label=label_of(Severity(r.severity)),
                    result=ItemResult(r.result), result_label=label_of(ItemResult(r.result)),
                    measured_value=r.measured_value, measure_unit=r.measure_unit, note=r.note,
                )
                for r in view.results
            ],
            photos_expected=i.photos_expected,
            photos=[PhotoSlot.of(i.id, slot, view.photos.get(slot))
                    for slot in range(1, i.photos_expected + 1)],
            complete=view.complete,
            violations=VisitViolations(
                opened=[ViolationRef.of(v) for v in view.opened],
                closed=[ViolationRef.of(v) for v in view.closed],
                withdrawn=[ViolationRef.of(v) for v in view.withdrawn],
            ),
        )


class InspectionSummary(BaseModel):
    """One visit in a list: result counts and photo completeness."""

    id: int = Field(examples=[57])
    segment_id: int = Field(examples=[1234])
    operator: str = Field(examples=["VNPT"])
    inspector: str | None = Field(examples=["thanh.tra"],
                                  description="Username (null when hidden from you)")
    campaign: str | None = Field(examples=["KT-2024-03"])
    visited_at: datetime
    checklist_version: str = Field(examples=["QCVN33-2019/v1"])
    passed: int = Field(examples=[10])
    failed: int = Field(examples=[1])
    not_checked: int = Field(examples=[1])
    photos_expected: int = Field(examples=[2])
    photos_received: int = Field(examples=[1])
    complete: bool = Field(examples=[False])
    corrects_id: int | None = None
    corrected_by_id: int | None = None

    @classmethod
    def of(cls, row: visit_queries.VisitSummary) -> InspectionSummary:
        """Render a :class:`gis.compliance.visit_queries.VisitSummary`."""
        values = {name: getattr(row, name) for name in cls.model_fields}
        values["visited_at"] = row.visited_at.astimezone(UTC)
        return cls(**values)


class InspectionPage(BaseModel):
    """A page of visits in id order; follow the ``next`` link for more."""

    items: list[InspectionSummary]
    links: list[Link]
    number_returned: int = Field(examples=[100])


class PhotoPublic(BaseModel):
    """A stored photo (the reply to an upload)."""

    inspection_id: int = Field(examples=[57])
    slot: PhotoSlot
    created: bool = Field(examples=[True], description="False when these bytes were already "
                                                        "stored in this slot")
    complete: bool = Field(examples=[False], description="Whether the visit now has every photo")
