"""The figures a map drawn from tiles shows (gis.tiles.summary) against the maps' own data of
the same date and operators (gis.queries.map_data), on the demo province."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from gis.queries.map_data import MapFilter, map_communes, map_segments, resolve_filter
from gis.tiles.summary import count_active, network_summary


@pytest.mark.parametrize(("as_of", "operators"), [
    (None, ()),
    (date(2024, 6, 30), ()),  # before the 2025 reorganisation: the former wards
    (date(2025, 12, 31), ("VNPT", "FPT")),
])
def test_summary_agrees_with_the_map_data(demo_session, as_of, operators):
    scope = resolve_filter(demo_session, MapFilter(as_of=as_of, operators=operators))
    segments = map_segments(demo_session, scope)
    summary = network_summary(demo_session, scope)
    assert summary.segments == len(segments) > 500
    by_class: Counter = Counter()
    by_operator: Counter = Counter()
    for group in summary.groups:
        by_class[group.cls] += group.segments
        by_operator[group.operator_id] += group.segments
    assert by_class == Counter(segments.classes)
    assert by_operator == Counter(segments.operator_ids) == Counter(summary.by_operator())
    from_segments = map_communes(demo_session, scope, segments, plans=False)
    from_summary = map_communes(demo_session, scope, summary.as_map_segments(scope),
                                plans=False)
    assert [c.code for c in from_summary] == [c.code for c in from_segments]
    for mine, theirs in zip(from_summary, from_segments, strict=True):
        assert mine.total_km == pytest.approx(theirs.total_km)
        assert mine.underground_km == pytest.approx(theirs.underground_km)
    west, south, east, north = summary.extent
    assert 106.28 < west < east < 106.41 and 20.39 < south < north < 20.51


def test_count_active_stops_past_the_limit(demo_session):
    scope = resolve_filter(demo_session, MapFilter())
    total = len(map_segments(demo_session, scope))
    assert count_active(demo_session, scope, 10) == 11
    assert count_active(demo_session, scope, 10**6) == total
