"""Fast first imports: COPY straight into the table, bulk loads that rebuild indexes and keys,
the EWKB encoder, and the history trigger's shortcut for a new segment's first state."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gis.importers import ImportOptions, bulk, import_segments, writing
from gis.importers.copying import hex_ewkb
from gis.models import CableSegment
from tests.importers.network import add_operators, network, stored_segments, table_counts, write

FIRST = date(2025, 1, 1)

_DEFINITIONS = """
SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename = ANY(:tables)
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  || ' validated=' || convalidated
  FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables)
UNION ALL
SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text
  FROM pg_trigger WHERE tgrelid::regclass::text = ANY(:tables) AND NOT tgisinternal
ORDER BY 1
"""


def _definitions(session) -> list[str]:
    return list(session.scalars(text(_DEFINITIONS), {"tables": list(bulk.BULK_TABLES)}))


def _history(session, source: str) -> list[tuple]:
    return session.execute(
        text(
            """
            SELECT c.source_fid, s.effective_date, s.placement, s.placement_kind, s.tidied,
                   s.lifecycle, s.source, s.note, s.recorded_by
              FROM segment_states s JOIN cable_segments c ON c.id = s.segment_id
             WHERE c.source = :source ORDER BY c.source_fid, s.id
            """
        ),
        {"source": source},
    ).all()


@pytest.fixture
def gpkg(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    return write(network(), tmp_path, "gpkg")


def test_a_bulk_load_writes_what_a_plain_load_writes_and_restores_every_definition(
    session, gpkg, monkeypatch
):
    before = _definitions(session)
    savepoint = session.begin_nested()
    import_segments(session, gpkg, ImportOptions(source="plain", effective_date=FIRST))
    plain, plain_history = stored_segments(session, "plain"), _history(session, "plain")
    savepoint.rollback()
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)

    stages = []
    report = import_segments(
        session,
        gpkg,
        ImportOptions(source="plain", effective_date=FIRST),
        progress=lambda stage, done, total: stages.append(stage),
    )

    assert "indexing" in stages
    assert (report.inserted, report.updated, report.unchanged) == (4, 0, 0)
    assert stored_segments(session, "plain").drop(columns="geom").equals(plain.drop(columns="geom"))
    assert _history(session, "plain") == plain_history
    assert [row[7] for row in plain_history] == ["initial state"] * 4
    assert _definitions(session) == before
    with pytest.raises(IntegrityError), session.begin_nested():  # foreign keys are back
        session.execute(
            text(
                "INSERT INTO segment_states (segment_id, effective_date, placement, "
                "placement_kind, tidied, lifecycle, source) "
                "VALUES (-1, '2025-01-01', 'overhead', 'aerial', false, 'active', 'x')"
            )
        )


def test_a_bulk_load_that_fails_leaves_tables_and_definitions_as_they_were(
    session, gpkg, monkeypatch
):
    before, counts = _definitions(session), table_counts(session)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    real_copy = writing.copy_table

    def copy_then_fail(*args, **kwargs):
        real_copy(*args, **kwargs)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(writing, "copy_table", copy_then_fail)
    with pytest.raises(RuntimeError):
        import_segments(session, gpkg, ImportOptions(source="net", effective_date=FIRST))
    assert table_counts(session) == counts
    assert _definitions(session) == before


def test_bulk_loads_are_only_for_many_rows_into_a_smaller_table(session, gpkg, monkeypatch):
    assert not bulk.worth_it(session, bulk.BULK_MIN_ROWS - 1)
    assert bulk.worth_it(session, bulk.BULK_MIN_ROWS)
    import_segments(session, gpkg, ImportOptions(source="net", effective_date=FIRST))
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    assert bulk.worth_it(session, 5)
    assert not bulk.worth_it(session, 4)


def test_new_segments_of_a_known_source_are_inserted_beside_updates(session, gpkg, tmp_path):
    import_segments(session, gpkg, ImportOptions(source="net", effective_date=FIRST))
    frame = network()
    frame.loc[0, "geometry"] = shapely.LineString([(106.330, 20.440), (106.339, 20.447)])
    extra = frame.iloc[[3]].copy()
    extra["ma_doan"] = "S5"
    path = write(pd.concat([frame, extra], ignore_index=True), tmp_path / "v2", "gpkg")

    report = import_segments(session, path, ImportOptions(source="net", effective_date=FIRST))

    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 3)
    stored = stored_segments(session, "net")
    assert list(stored.index) == ["S1", "S2", "S3", "S4", "S5"]
    assert shapely.equals(stored.loc["S1", "geom"], frame.loc[0, "geometry"])
    # S5 (merged in by SQL) is S4 (COPYed in by the first import) under another id.
    same = ["operator", "route_code", "placement", "placement_kind", "tidied", "lifecycle"]
    assert stored.loc["S5", [*same, "state_since"]].equals(stored.loc["S4", [*same, "state_since"]])
    assert [row[0] for row in _history(session, "net")] == ["S1", "S2", "S3", "S4", "S5"]


def test_a_state_added_after_new_segments_still_updates_the_segment(session, gpkg):
    """The first-state shortcut of the history trigger ends with the import's statement."""
    import_segments(session, gpkg, ImportOptions(source="net", effective_date=FIRST))
    assert session.scalar(text("SELECT current_setting('telecom_gis.initial_states', true)")) in (
        "off",
        None,
    )
    segment = session.query(CableSegment).filter_by(source_fid="S1").one()
    session.execute(
        text(
            "INSERT INTO segment_states (segment_id, effective_date, placement, placement_kind, "
            "tidied, lifecycle, source) VALUES (:id, '2025-06-01', 'underground', 'duct', "
            "false, 'active', 'test')"
        ),
        {"id": segment.id},
    )
    session.expire_all()
    assert (segment.placement, segment.placement_kind, segment.state_since) == (
        "underground",
        "duct",
        date(2025, 6, 1),
    )


def test_hex_ewkb_is_postgis_ewkb_for_lines_and_for_anything_else():
    lines = np.array([shapely.LineString([(106.1, 20.2), (106.3, 20.4)])] * 3, dtype=object)
    mixed = np.array([lines[0], shapely.Point(106.2, 20.3)], dtype=object)
    for geoms in (lines, mixed):
        expected = [
            w.hex()
            for w in shapely.to_wkb(shapely.set_srid(geoms, 4326), byte_order=1, include_srid=True)
        ]
        assert hex_ewkb(geoms, 4326).to_pylist() == expected
