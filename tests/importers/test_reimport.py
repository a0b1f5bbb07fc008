"""Re-importing is idempotent; changes become history rows; dry runs write nothing."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from sqlalchemy import select, text

from gis.importers import ImportOptions, ImportOptionsError, import_segments
from gis.importers.pipeline import IMPORT_LOCK_KEY
from gis.models import CableSegment, SegmentState
from tests.importers.network import add_operators, network, stored_segments, table_counts, write

FIRST = date(2025, 1, 1)
LATER = date(2025, 6, 1)


@pytest.fixture
def imported(session, tmp_path):
    """The network imported once as source 'net' on FIRST."""
    add_operators(session, "VNPT", "VIETTEL")
    path = write(network(), tmp_path / "v1", "gpkg")
    import_segments(session, path, ImportOptions(source="net", effective_date=FIRST))
    return path


def _states(session, fid: str) -> list[SegmentState]:
    segment_id = session.scalar(select(CableSegment.id).where(CableSegment.source_fid == fid))
    return list(
        session.scalars(
            select(SegmentState)
            .where(SegmentState.segment_id == segment_id)
            .order_by(SegmentState.effective_date, SegmentState.id)
        )
    )


def test_reimporting_the_same_file_changes_nothing(session, imported):
    before = table_counts(session)
    report = import_segments(session, imported, ImportOptions(source="net", effective_date=LATER))
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 4)
    after = table_counts(session)
    assert after["segment_states"] == before["segment_states"] == 4
    assert after["cable_segments"] == before["cable_segments"]
    assert after["import_runs"] == before["import_runs"] + 1


def test_changed_placement_becomes_a_dated_state(session, imported, tmp_path):
    """S3 goes underground: one new history row on the effective date; current columns follow."""
    frame = network()
    frame.loc[2, "placement"] = "ngầm"
    path = write(frame, tmp_path / "v2", "gpkg")

    report = import_segments(session, path, ImportOptions(source="net", effective_date=LATER))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 3)
    states = _states(session, "S3")
    assert [(s.effective_date, s.placement, s.placement_kind, s.source) for s in states] == [
        (FIRST, "overhead", "aerial", "net"),
        (LATER, "underground", "duct", "net"),
    ]
    assert states[-1].tidied is True  # the file's tidied value is kept
    row = stored_segments(session, "net").loc["S3"]
    assert (row["placement"], row["placement_kind"], row["state_since"]) == (
        "underground",
        "duct",
        LATER,
    )
    assert table_counts(session)["segment_states"] == 5


def test_changed_geometry_updates_without_history(session, imported, tmp_path):
    frame = network()
    frame.loc[3, "geometry"] = shapely.LineString([(106.360, 20.460), (106.362, 20.464)])
    path = write(frame, tmp_path / "v2", "gpkg")

    report = import_segments(session, path, ImportOptions(source="net", effective_date=LATER))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 3)
    assert table_counts(session)["segment_states"] == 4
    assert stored_segments(session, "net").loc["S4", "geom"].coords[-1] == (106.362, 20.464)


def test_fields_the_file_does_not_give_keep_their_values(session, imported, tmp_path):
    """A later file without tidied/lifecycle columns does not reset S3's tidied=true."""
    path = write(network().drop(columns=["tidied", "lifecycle"]), tmp_path / "v2", "gpkg")
    report = import_segments(session, path, ImportOptions(source="net", effective_date=LATER))
    assert (report.updated, report.unchanged) == (0, 4)
    assert bool(stored_segments(session, "net").loc["S3", "tidied"]) is True


def test_underground_kind_is_kept_when_the_file_gives_only_the_placement(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    frame = network()
    frame["placement_kind"] = ["", "tunnel", "", ""]
    import_segments(session, write(frame, tmp_path / "v1", "gpkg"), ImportOptions(source="net"))
    assert stored_segments(session, "net").loc["S2", "placement_kind"] == "tunnel"

    report = import_segments(
        session, write(network(), tmp_path / "v2", "gpkg"), ImportOptions(source="net")
    )

    assert report.unchanged == 4
    assert stored_segments(session, "net").loc["S2", "placement_kind"] == "tunnel"


def test_backdated_state_is_recorded_once_and_does_not_override_a_later_one(
    session, imported, tmp_path
):
    """S1 is overhead since 2024-05-01; a file saying underground on 2023-01-01 adds history."""
    frame = network()
    frame.loc[0, ["placement", "state_date"]] = ["underground", "2023-01-01"]
    path = write(frame, tmp_path / "v2", "gpkg")

    first = import_segments(session, path, ImportOptions(source="net", effective_date=LATER))
    again = import_segments(session, path, ImportOptions(source="net", effective_date=LATER))

    assert (first.updated, again.updated, again.unchanged) == (1, 0, 4)
    assert [(s.effective_date, s.placement) for s in _states(session, "S1")] == [
        (date(2023, 1, 1), "underground"),
        (date(2024, 5, 1), "overhead"),
    ]
    assert stored_segments(session, "net").loc["S1", "placement"] == "overhead"


def test_dry_run_counts_but_writes_nothing(session, imported, tmp_path):
    frame = network()
    frame.loc[2, "placement"] = "underground"
    frame.loc[4] = frame.loc[3]
    frame.loc[4, "ma_doan"] = "S5"
    path = write(frame, tmp_path / "v2", "gpkg")
    before = table_counts(session)

    report = import_segments(
        session, path, ImportOptions(source="net", dry_run=True, effective_date=LATER)
    )

    assert report.dry_run
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 3)
    assert table_counts(session) == before
    assert stored_segments(session, "net").loc["S3", "placement"] == "overhead"


def test_operator_codes_match_case_insensitively(session, tmp_path):
    add_operators(session, "VNPT", "VIETTEL")
    frame = network()
    frame["operator"] = ["vnpt", "Vnpt", "viettel", "VIETTEL"]
    report = import_segments(session, write(frame, tmp_path, "gpkg"), ImportOptions(source="net"))
    assert report.inserted == 4
    assert list(stored_segments(session, "net")["operator"]) == [
        "VNPT",
        "VNPT",
        "VIETTEL",
        "VIETTEL",
    ]


def test_unusable_options_are_refused(session, tmp_path):
    add_operators(session, "VNPT")
    path = write(network(), tmp_path, "gpkg")
    with pytest.raises(
        ImportOptionsError, match="unknown operator 'MOBI' \\(--operator\\); known operators: VNPT"
    ):
        import_segments(session, path, ImportOptions(operator="MOBI"))
    with pytest.raises(ImportOptionsError, match="is in the future"):
        import_segments(session, path, ImportOptions(effective_date=date(2999, 1, 1)))


def test_planner_setting_is_restored_after_writing(session, tmp_path):
    """The importer raises work_mem while merging and gives the caller its setting back."""
    add_operators(session, "VNPT", "VIETTEL")
    session.execute(text("SET LOCAL work_mem = '7MB'"))
    import_segments(session, write(network(), tmp_path, "gpkg"), ImportOptions(source="net"))
    assert session.execute(text("SHOW work_mem")).scalar_one() == "7MB"


def test_an_import_holds_the_import_lock_until_its_transaction_ends(session, engine, imported):
    """Imports run one after the other: another import (another connection) cannot take the
    lock while this transaction, which imported, is open."""
    with engine.connect() as other:
        taken = other.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                              {"key": IMPORT_LOCK_KEY}).scalar_one()
        other.rollback()
    assert taken is False
