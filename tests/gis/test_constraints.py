"""The database itself refuses bad rows: geometry, vocabulary, codes, validity and history."""

from __future__ import annotations

from datetime import date

import pytest
from geoalchemy2.shape import from_shape
from shapely import LineString, Point
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from gis.models import CableSegment, SegmentState, Structure, UndergroundingPlan
from tests.factories import make_operator, make_segment, make_unit


def _refused(session, stmt, params=None, match: str = ""):
    with pytest.raises(DBAPIError, match=match):
        with session.begin_nested():
            session.execute(text(stmt) if isinstance(stmt, str) else stmt, params or {})


@pytest.fixture
def vnpt(session):
    return make_operator(session, "VNPT")


INSERT_SEGMENT = (
    "INSERT INTO cable_segments (operator_id, placement, placement_kind, geom) "
    "VALUES (:op, :placement, :kind, ST_GeomFromText(:wkt, 4326))"
)


@pytest.mark.parametrize(
    ("wkt", "match"),
    [
        ("LINESTRING EMPTY", "cable_segments_geom_valid"),
        ("LINESTRING(106.3 20.41, 106.3 20.41)", "cable_segments_geom_valid"),
        ("LINESTRING(20.41 106.3, 20.42 106.31)", "cable_segments_in_vietnam"),
        ("LINESTRING(556000 2262000, 556100 2262000)", "cable_segments_in_vietnam"),
        ("POINT(106.3 20.41)", "does not match column type"),
    ],
)
def test_bad_segment_geometry_is_refused(session, vnpt, wkt, match):
    """Empty, degenerate, swapped, projected and wrong-type geometries never get in."""
    _refused(
        session,
        INSERT_SEGMENT,
        {"op": vnpt.id, "placement": "overhead", "kind": "aerial", "wkt": wkt},
        match,
    )


@pytest.mark.parametrize(
    ("placement", "kind", "match"),
    [
        ("overhead", "duct", "cable_segments_placement"),
        ("underground", "aerial", "cable_segments_placement"),
        ("sky", "aerial", "cable_segments_placement"),
    ],
)
def test_placement_and_kind_must_agree(session, vnpt, placement, kind, match):
    """The finer kind must belong to the placement (QCVN 33 sections)."""
    _refused(
        session,
        INSERT_SEGMENT,
        {
            "op": vnpt.id,
            "placement": placement,
            "kind": kind,
            "wkt": "LINESTRING(106.3 20.41, 106.31 20.42)",
        },
        match,
    )


def test_unknown_operator_is_refused(session):
    """Foreign keys everywhere: a segment needs a real operator."""
    _refused(
        session,
        INSERT_SEGMENT,
        {
            "op": 999999,
            "placement": "overhead",
            "kind": "aerial",
            "wkt": "LINESTRING(106.3 20.41, 106.31 20.42)",
        },
        "foreign key",
    )


def test_operator_code_format(session):
    """Operator codes are upper-case identifiers."""
    _refused(session, "INSERT INTO operators (code, name) VALUES ('vn pt', 'x')", match="check")


def test_length_is_geodesic_metres(session, vnpt):
    """length_m is computed by the database on the ellipsoid (pyproj agrees within 1 mm)."""
    from pyproj import Geod

    segment = make_segment(session, vnpt, [(106.33, 20.45), (106.3405, 20.45), (106.3405, 20.46)])
    expected = Geod(ellps="WGS84").line_length([106.33, 106.3405, 106.3405], [20.45, 20.45, 20.46])
    assert segment.length_m == pytest.approx(expected, abs=1e-3)
    assert 2000 < segment.length_m < 2300


def test_length_cannot_be_written(session, vnpt):
    """length_m is generated: nobody can store a length that disagrees with the geometry."""
    segment = make_segment(session, vnpt)
    _refused(
        session,
        update(CableSegment).where(CableSegment.id == segment.id).values(length_m=1),
        match="generated",
    )


def test_admin_unit_code_must_fit_level(session):
    """Province codes have 2 digits, communes 5 (QĐ 19/2025/QĐ-TTg)."""
    with pytest.raises(IntegrityError, match="admin_units_code_format"):
        with session.begin_nested():
            make_unit(session, "123", (106.3, 20.4, 106.31, 20.41), level="commune")
    with pytest.raises(IntegrityError, match="admin_units_code_format"):
        with session.begin_nested():
            make_unit(session, "34567", (106.3, 20.4, 106.31, 20.41), level="province")


def test_one_code_one_unit_at_a_time(session):
    """Two versions of a code may not overlap in time; consecutive versions may."""
    make_unit(
        session,
        "12345",
        (106.3, 20.4, 106.31, 20.41),
        valid_from=date(2004, 1, 1),
        valid_to=date(2025, 7, 1),
    )
    make_unit(session, "12345", (106.3, 20.4, 106.32, 20.41), valid_from=date(2025, 7, 1))
    with pytest.raises(IntegrityError, match="admin_units_one_version_at_a_time"):
        with session.begin_nested():
            make_unit(
                session,
                "12345",
                (106.3, 20.4, 106.31, 20.41),
                valid_from=date(2024, 1, 1),
                valid_to=date(2025, 1, 1),
            )
    with pytest.raises(IntegrityError, match="admin_units_validity"):
        with session.begin_nested():
            make_unit(
                session,
                "54321",
                (106.3, 20.4, 106.31, 20.41),
                valid_from=date(2025, 1, 1),
                valid_to=date(2024, 1, 1),
            )


def test_plan_needs_a_scope(session):
    """A plan targets a commune, an operator, or both."""
    session.add(UndergroundingPlan(year=2025, name="no scope", target_km=3))
    with pytest.raises(IntegrityError, match="undergrounding_plans_scope"):
        session.flush()


def test_structure_geometry_is_checked(session, vnpt):
    """Structures are valid points inside Vietnam."""
    session.add(
        Structure(kind="pole", owner_id=vnpt.id, geom=from_shape(Point(20.45, 106.33), srid=4326))
    )
    with pytest.raises(IntegrityError, match="structures_in_vietnam"):
        session.flush()


def test_segment_gets_commune_by_spatial_join(session, vnpt):
    """The commune in force that contains the midpoint is set by the database."""
    old = make_unit(
        session,
        "11111",
        (106.30, 20.40, 106.40, 20.50),
        valid_from=date(2004, 1, 1),
        valid_to=date(2025, 7, 1),
    )
    west = make_unit(session, "22222", (106.30, 20.40, 106.335, 20.50))
    east = make_unit(session, "33333", (106.335, 20.40, 106.40, 20.50))
    segment = make_segment(session, vnpt, [(106.33, 20.45), (106.345, 20.45)])
    assert segment.commune_id == east.id  # midpoint 106.3375 is east; the old unit is closed
    assert old.id != segment.commune_id and west.id != segment.commune_id
    session.execute(
        update(CableSegment)
        .where(CableSegment.id == segment.id)
        .values(geom=from_shape(LineString([(106.31, 20.45), (106.32, 20.45)]), 4326))
    )
    session.refresh(segment)
    assert segment.commune_id == west.id


def test_new_segment_starts_its_history(session, vnpt):
    """Inserting a segment writes its first state row, dated state_since, by the actor."""
    session.execute(text("SELECT set_config('telecom_gis.actor', 'inspector:lan', true)"))
    segment = make_segment(session, vnpt, state_since=date(2018, 5, 1))
    states = session.scalars(
        select(SegmentState).where(SegmentState.segment_id == segment.id)
    ).all()
    assert [(s.effective_date, s.placement, s.recorded_by) for s in states] == [
        (date(2018, 5, 1), "overhead", "inspector:lan")
    ]


def test_state_columns_change_only_through_history(session, vnpt):
    """A direct UPDATE of placement is refused; history rows are append-only."""
    segment = make_segment(session, vnpt)
    _refused(
        session,
        update(CableSegment)
        .where(CableSegment.id == segment.id)
        .values(placement="underground", placement_kind="duct"),
        match="segment_states",
    )
    _refused(session, "UPDATE segment_states SET tidied = true", match="append-only")
    _refused(session, "DELETE FROM segment_states", match="append-only")
    count = session.scalar(select(func.count()).select_from(SegmentState))
    assert count == 1


def test_future_states_are_refused(session, vnpt):
    """History records what happened; a state dated tomorrow is refused."""
    segment = make_segment(session, vnpt)
    _refused(
        session,
        "INSERT INTO segment_states (segment_id, effective_date, placement, "
        "placement_kind, tidied, lifecycle, source) VALUES "
        "(:id, current_date + 1, 'underground', 'duct', false, 'active', 'x')",
        {"id": segment.id},
        match="in the future",
    )


def test_deleting_a_segment_takes_its_history(session, vnpt):
    """The only way history rows go is with their segment (cascade)."""
    segment = make_segment(session, vnpt)
    session.execute(text("DELETE FROM cable_segments WHERE id = :id"), {"id": segment.id})
    assert session.scalar(select(func.count()).select_from(SegmentState)) == 0
