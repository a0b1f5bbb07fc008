"""ORM mapping of migration 0003: users and tokens, audit log, checklist catalogue, campaigns,
visits (inspections) with results and photos, violations, penalty decisions and placement-change
reports.

The database is the authority: append-only triggers, audit triggers, row-level security and the
cross-table checks live in ``gis/migrations/sql/0003_inspections.sql``. Positions are points in
EPSG:4326; distances and accuracies are metres.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, CHAR, JSONB, REAL, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.models.network import Base, _geom

ACTOR = text("telecom_gis_actor()")


class User(Base):
    """A person using the system, with one role; an operator user belongs to one operator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    full_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256; ``expires_at`` NULL means no expiry."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("api_tokens_user_idx", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(CHAR(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """One written row: who (``actor``), when, which table and row, and its before/after image."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("audit_log_table_row_idx", "table_name", "row_key"),
        Index("audit_log_at_idx", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text, server_default=ACTOR)
    table_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(8))
    row_key: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)


class ChecklistVersion(Base):
    """A version of the checklist catalogue (items never change once loaded)."""

    __tablename__ = "checklist_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(CHAR(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position"
    )


class ChecklistItem(Base):
    """One check an inspector makes, traced to its regulation clause.

    ``placements`` lists where it applies (overhead / underground); ``remediation_days`` is the
    default period to fix a failure; ``limit_value`` (in ``measure_unit``) with ``limit_kind``
    min/max is the threshold a measured value is compared with; ``*_sourced`` says whether the
    value comes from a cited text or is a configurable local choice.
    """

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_versions.id", ondelete="RESTRICT")
    )
    code: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(SmallInteger)
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    clause: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    severity: Mapped[str] = mapped_column(String(16))
    placements: Mapped[list[str]] = mapped_column(ARRAY(Text))
    remediation_days: Mapped[int] = mapped_column(SmallInteger)
    remediation_days_sourced: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    measure_unit: Mapped[str | None] = mapped_column(Text)
    limit_kind: Mapped[str | None] = mapped_column(String(8))
    limit_value: Mapped[Decimal | None] = mapped_column(Numeric)
    limit_sourced: Mapped[bool | None] = mapped_column(Boolean)

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")


campaign_communes = Table(
    "campaign_communes",
    Base.metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"),
           primary_key=True),
    Column("admin_unit_id", Integer, ForeignKey("admin_units.id", ondelete="RESTRICT"),
           primary_key=True),
)
campaign_operators = Table(
    "campaign_operators",
    Base.metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"),
           primary_key=True),
    Column("operator_id", Integer, ForeignKey("operators.id", ondelete="RESTRICT"),
           primary_key=True),
)
campaign_inspectors = Table(
    "campaign_inspectors",
    Base.metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True),
)


class Campaign(Base):
    """An inspection campaign (cuộc kiểm tra): legal basis, period, communes/operators in scope,
    assigned inspectors. Empty scope lists mean the whole province / every operator."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="campaigns_period_check"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    checklist_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_versions.id", ondelete="RESTRICT")
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text, server_default=ACTOR)


class Inspection(Base):
    """One visit to one segment (append-only). A correction is a new visit with ``corrects_id``.

    ``operator_id`` and ``placement`` are the segment's at the time of the visit; ``position`` is
    the inspector's GPS fix (EPSG:4326) with ``position_accuracy_m``; ``snapped_distance_m`` is the
    distance from that fix to the segment when the segment was found by position.
    """

    __tablename__ = "inspections"
    __table_args__ = (
        Index("inspections_segment_idx", "segment_id", text("visited_at DESC")),
        Index("inspections_campaign_idx", "campaign_id"),
        Index("inspections_operator_idx", "operator_id"),
        Index("inspections_visited_idx", "visited_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT")
    )
    segment_id: Mapped[int] = mapped_column(ForeignKey("cable_segments.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    placement: Mapped[str] = mapped_column(String(16))
    checklist_version_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_versions.id", ondelete="RESTRICT")
    )
    position = mapped_column(_geom("POINT"))
    position_accuracy_m: Mapped[float | None] = mapped_column(REAL)
    snapped_distance_m: Mapped[float | None] = mapped_column(REAL)
    note: Mapped[str | None] = mapped_column(Text)
    photos_expected: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="RESTRICT"), unique=True
    )
    correction_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    request_sha256: Mapped[str] = mapped_column(CHAR(64))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    recorded_by: Mapped[str] = mapped_column(Text, server_default=ACTOR)

    results: Mapped[list[InspectionResult]] = relationship(viewonly=True)
    photos: Mapped[list[Photo]] = relationship(viewonly=True, order_by="Photo.slot")


class InspectionResult(Base):
    """The result of one checklist item at one visit; ``measured_value`` in the item's unit."""

    __tablename__ = "inspection_results"
    __table_args__ = (Index("inspection_results_item_idx", "item_id"),)

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="RESTRICT"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_items.id", ondelete="RESTRICT"), primary_key=True
    )
    result: Mapped[str] = mapped_column(String(12))
    measured_value: Mapped[Decimal | None] = mapped_column(Numeric)
    note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[ChecklistItem] = relationship()


class Photo(Base):
    """A photo that arrived for a visit's announced ``slot``; stored at ``storage_key`` under the
    configured photo directory (content-addressed by SHA-256). ``taken_at`` and ``position``
    (EPSG:4326) come from EXIF when present."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("inspection_id", "slot"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    slot: Mapped[int] = mapped_column(SmallInteger)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    position = mapped_column(_geom("POINT"))
    storage_key: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    uploaded_by: Mapped[str] = mapped_column(Text, server_default=ACTOR)


class Violation(Base):
    """A failed checklist item on a segment, from the visit that found it, due by ``due_on``.

    ``state`` is the current lifecycle state; "overdue" is derived from ``due_on``. The dates of
    each transition are kept, so the state at any earlier date can be worked out.
    """

    __tablename__ = "violations"
    __table_args__ = (
        Index(
            "violations_one_unresolved_idx",
            "segment_id",
            "item_id",
            unique=True,
            postgresql_where=text("state IN ('open', 'remediation_reported')"),
        ),
        Index("violations_segment_idx", "segment_id"),
        Index("violations_operator_idx", "operator_id"),
        Index("violations_inspection_idx", "inspection_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("cable_segments.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id", ondelete="RESTRICT"))
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), server_default="open")
    remediation_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remediation_reported_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    remediation_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="RESTRICT")
    )

    item: Mapped[ChecklistItem] = relationship()


penalty_violations = Table(
    "penalty_violations",
    Base.metadata,
    Column("decision_id", Integer, ForeignKey("penalty_decisions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("violation_id", BigInteger, ForeignKey("violations.id", ondelete="RESTRICT"),
           primary_key=True),
    Index("penalty_violations_violation_idx", "violation_id"),
)


class PenaltyDecision(Base):
    """A penalty decision (quyết định xử phạt) against an operator: legal basis, VND amount."""

    __tablename__ = "penalty_decisions"
    __table_args__ = (Index("penalty_decisions_operator_idx", "operator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    decided_on: Mapped[date] = mapped_column(Date)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    decree: Mapped[str] = mapped_column(Text)
    article: Mapped[str] = mapped_column(Text)
    clause: Mapped[str | None] = mapped_column(Text)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text, server_default=ACTOR)

    violations: Mapped[list[Violation]] = relationship(secondary=penalty_violations)


class PlacementReport(Base):
    """An operator's report that a segment was undergrounded or tidied on ``effective_on``;
    an inspector's confirmation writes the segment's new state row (``state_id``)."""

    __tablename__ = "placement_reports"
    __table_args__ = (
        Index("placement_reports_segment_idx", "segment_id"),
        Index("placement_reports_operator_idx", "operator_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("cable_segments.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    effective_on: Mapped[date] = mapped_column(Date)
    placement: Mapped[str] = mapped_column(String(16))
    placement_kind: Mapped[str] = mapped_column(String(16))
    tidied: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), server_default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    state_id: Mapped[int | None] = mapped_column(
        ForeignKey("segment_states.id", ondelete="RESTRICT")
    )
