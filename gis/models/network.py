"""ORM mapping of the network schema that migration 0001 creates.

The database is the authority: check constraints, the exclusion constraint on administrative
unit versions and the history triggers live in ``gis/migrations/sql``. These classes mirror the
columns, keys and indexes (a test compares them with the migrated database). Geometry columns are
``geom`` in EPSG:4326; ``length_m`` is geodesic metres computed by the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Double,
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
from sqlalchemy.dialects.postgresql import CHAR, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SRID = 4326


class Base(DeclarativeBase):
    """Declarative base of every table."""


def _geom(kind: str) -> Geometry:
    return Geometry(kind, srid=SRID, spatial_index=False)


class Operator(Base):
    """An organisation that owns cable or structures (VNPT, Viettel, FPT, VTVcab, EVN ...)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), server_default="telecom")


class AdminUnit(Base):
    """A province, district or commune version; ``valid_to`` is exclusive, NULL = in force."""

    __tablename__ = "admin_units"
    __table_args__ = (
        Index("admin_units_geom_idx", "geom", postgresql_using="gist"),
        Index("admin_units_parent_idx", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id", ondelete="RESTRICT"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class AdminUnitCrosswalk(Base):
    """Share of an old unit's area that went into a new unit (2025 reorganisation)."""

    __tablename__ = "admin_unit_crosswalk"
    __table_args__ = (CheckConstraint("old_unit_id <> new_unit_id"),)

    old_unit_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True
    )
    new_unit_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True
    )
    area_share: Mapped[float] = mapped_column(Double)


class CableRoute(Base):
    """A named cable route of one operator, made of segments; tier trunk/intermediate/drop."""

    __tablename__ = "cable_routes"
    __table_args__ = (Index("cable_routes_operator_idx", "operator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    street: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(16))

    operator: Mapped[Operator] = relationship()


structure_sharers = Table(
    "structure_sharers",
    Base.metadata,
    Column(
        "structure_id",
        BigInteger,
        ForeignKey("structures.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "operator_id", Integer, ForeignKey("operators.id", ondelete="RESTRICT"), primary_key=True
    ),
)


class Structure(Base):
    """A pole, manhole or cabinet (a point), owned by one operator and shared by others."""

    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("source", "source_fid", name="structures_source_fid_key"),
        Index("structures_geom_idx", "geom", postgresql_using="gist"),
        Index("structures_owner_idx", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(Text, server_default="manual")
    source_fid: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(_geom("POINT"), nullable=False)

    owner: Mapped[Operator] = relationship()
    shared_by: Mapped[list[Operator]] = relationship(secondary=structure_sharers)


class CableSegment(Base):
    """A stretch of cable (LineString, EPSG:4326) with its current state.

    ``placement``, ``placement_kind``, ``tidied``, ``lifecycle`` and ``state_since`` mirror the
    latest :class:`SegmentState`; the database refuses to change them any other way.
    ``commune_id`` is set by the database (commune in force containing the midpoint).
    """

    __tablename__ = "cable_segments"
    __table_args__ = (
        UniqueConstraint("source", "source_fid", name="cable_segments_source_fid_key"),
        Index("cable_segments_geom_idx", "geom", postgresql_using="gist"),
        Index("cable_segments_route_idx", "route_id"),
        Index("cable_segments_operator_idx", "operator_id"),
        Index("cable_segments_commune_idx", "commune_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("cable_routes.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL")
    )
    start_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL")
    )
    end_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL")
    )
    placement: Mapped[str] = mapped_column(String(16))
    placement_kind: Mapped[str] = mapped_column(String(16))
    tidied: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    lifecycle: Mapped[str] = mapped_column(String(16), server_default="active")
    state_since: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    source: Mapped[str] = mapped_column(Text, server_default="manual")
    source_fid: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom = mapped_column(_geom("LINESTRING"), nullable=False)
    length_m: Mapped[float] = mapped_column(
        Double, Computed("st_length((geom)::geography)", persisted=True)
    )

    operator: Mapped[Operator] = relationship()
    route: Mapped[CableRoute | None] = relationship()
    states: Mapped[list[SegmentState]] = relationship(
        back_populates="segment",
        order_by="(SegmentState.effective_date, SegmentState.id)",
        viewonly=True,
    )


class SegmentState(Base):
    """One dated change of a segment's placement, tidy state or lifecycle (append-only)."""

    __tablename__ = "segment_states"
    __table_args__ = (
        Index(
            "segment_states_latest_idx",
            "segment_id",
            text("effective_date DESC"),
            text("id DESC"),
        ),
        Index("segment_states_date_idx", "effective_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("cable_segments.id", ondelete="CASCADE"))
    effective_date: Mapped[date] = mapped_column(Date)
    placement: Mapped[str] = mapped_column(String(16))
    placement_kind: Mapped[str] = mapped_column(String(16))
    tidied: Mapped[bool] = mapped_column(Boolean)
    lifecycle: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, server_default=text("telecom_gis_actor()"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    note: Mapped[str | None] = mapped_column(Text)

    segment: Mapped[CableSegment] = relationship(back_populates="states")


plan_routes = Table(
    "plan_routes",
    Base.metadata,
    Column(
        "plan_id",
        Integer,
        ForeignKey("undergrounding_plans.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "route_id", Integer, ForeignKey("cable_routes.id", ondelete="RESTRICT"), primary_key=True
    ),
)


class UndergroundingPlan(Base):
    """A year's undergrounding target for a commune and/or operator: km, or a list of routes."""

    __tablename__ = "undergrounding_plans"
    __table_args__ = (Index("undergrounding_plans_year_idx", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(Text)
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="RESTRICT")
    )
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
    target_km: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    routes: Mapped[list[CableRoute]] = relationship(secondary=plan_routes)


class ImportRun(Base):
    """What one import did: file, checksum, CRS, counts, who and when."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(CHAR(64))
    source_crs: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text, server_default=text("telecom_gis_actor()"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    rows_read: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
