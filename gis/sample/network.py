"""Cable segments, poles, manholes, cabinets and routes laid along the synthetic streets.

Each street gets 1-4 operators. Poles (aerial streets) or manholes (duct streets) stand on both
sides of the street, :data:`SIDE_OFFSET` metres from the centreline, every 30-60 m (aerial) or
65-120 m (duct). Each operator's cable runs pole to pole along one side, 0.4 m beside the pole
line, so two operators on the same side are 0.8 m apart and operators on opposite sides a few
metres apart; a cable's ends are always within 1 m of their structures. One segment is one span.

Geometry is built in local metres and returned in EPSG:4326 degrees rounded to
:data:`COORD_DECIMALS` decimals (about 1 cm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import shapely

from gis.choices import Lifecycle, Placement, PlacementKind, RouteTier, StructureKind
from gis.sample.local_crs import LocalMetric
from gis.sample.names import CABLE_OPERATORS, POLE_OWNER
from gis.sample.street_grid import StreetKind, Streets

COORD_DECIMALS = 7
#: Mean span in metres between structures: aerial (about 30-60 m) and duct (about 65-120 m).
MEAN_SPAN = {Placement.OVERHEAD: 45.0, Placement.UNDERGROUND: 90.0}
#: Distance in metres from the centreline to each side's pole or manhole line, per street kind.
SIDE_OFFSET = {StreetKind.AVENUE: 7.0, StreetKind.ROAD: 5.0, StreetKind.STREET: 4.0,
               StreetKind.ALLEY: 1.5}
#: Cable beside its pole line (metres): slots 0/1 on the near, 2/3 on the far side of the pole.
CABLE_BESIDE_POLE = 0.4
#: Operators per street kind: (possible counts, their probabilities).
OPERATOR_COUNTS = {
    StreetKind.AVENUE: ((3, 4), (0.4, 0.6)),
    StreetKind.ROAD: ((1, 2), (0.75, 0.25)),
    StreetKind.STREET: ((1, 2, 3), (0.4, 0.4, 0.2)),
    StreetKind.ALLEY: ((1,), (1.0,)),
}
#: Share of cable length (km) underground from the start (Thái Bình: about 8.6 %, S27; the
#: city centre has more). Whole avenues and streets are picked at random until it is reached.
INITIAL_UNDERGROUND_SHARE = 0.12
TIER = {StreetKind.AVENUE: RouteTier.TRUNK, StreetKind.ROAD: RouteTier.TRUNK,
        StreetKind.STREET: RouteTier.INTERMEDIATE, StreetKind.ALLEY: RouteTier.DROP}
#: Share of pole lines owned by the power company (the rest by the first telecom operator).
POWER_POLE_SHARE = 0.85
#: One cabinet per this many segments.
SEGMENTS_PER_CABINET = 250
#: Initial states were first recorded between these dates (inclusive).
FIRST_RECORDED = (date(2015, 1, 1), date(2019, 12, 31))


class TooFewSegments(Exception):
    """The street network holds fewer spans than asked for; enlarge it and try again."""

    def __init__(self, available: int) -> None:
        super().__init__(f"only {available} spans available")
        self.available = available


@dataclass
class CableNetwork:
    """The generated network as tables (pandas), coordinates in EPSG:4326 degrees.

    ``segments``: one row per span, file columns plus ``x0, y0, x1, y1`` and private columns
    starting with ``_`` (street, street group, street kind) used by the history generator.
    ``structures``: poles, manholes, cabinets with ``lon, lat``. ``routes``: one per operator
    and street piece.
    """

    segments: pd.DataFrame
    structures: pd.DataFrame
    routes: pd.DataFrame


def _choose_operators(streets: Streets, rng: np.random.Generator) -> np.ndarray:
    """Operators (indexes into CABLE_OPERATORS, -1 = none) per street and slot (n, 4).

    Drawn per named street (group), so the pieces of one street carry the same operators.
    """
    n_groups = int(streets.group.max()) + 1 if len(streets) else 0
    weights = np.array([op.weight for op in CABLE_OPERATORS])
    keys = rng.exponential(size=(n_groups, len(weights)))[streets.group] / weights
    order = np.argsort(keys, axis=1)
    u = rng.random(n_groups)[streets.group]
    counts = np.zeros(len(streets), dtype=int)
    for kind, (values, probs) in OPERATOR_COUNTS.items():
        sel = streets.kind == kind.value
        counts[sel] = np.asarray(values)[np.searchsorted(np.cumsum(probs)[:-1], u[sel],
                                                         side="right")]
    slots = np.arange(len(weights))
    return np.where(slots[None, :] < counts[:, None], order, -1)


def _stations(streets: Streets, spans: np.ndarray, rng: np.random.Generator):
    """Structure positions along each street (local metres) and unit normals to the left.

    Returns (points (S, 2), normals (S, 2), index of each street's first station).
    """
    lengths = streets.lengths
    weights = rng.uniform(0.85, 1.15, int(spans.sum()))
    starts = np.r_[0, np.cumsum(spans)[:-1]]
    cum = np.cumsum(weights)
    before = np.repeat(cum[starts] - weights[starts], spans)
    totals = np.repeat(np.add.reduceat(weights, starts), spans)
    ends = np.minimum((cum - before) / totals, 1.0) * np.repeat(lengths, spans)
    first = starts + np.arange(len(spans))
    n_stations = int(spans.sum()) + len(spans)
    distance = np.zeros(n_stations)
    is_first = np.zeros(n_stations, dtype=bool)
    is_first[first] = True
    distance[~is_first] = ends
    owner = np.repeat(np.arange(len(spans)), spans + 1)
    points = shapely.get_coordinates(shapely.line_interpolate_point(streets.geoms[owner], distance))
    is_last = np.r_[is_first[1:], True]
    idx = np.arange(n_stations)
    tangent = points[np.where(is_last, idx, idx + 1)] - points[np.where(is_first, idx, idx - 1)]
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normals = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    return points, normals, first


def count_spans(
    streets: Streets, rng: np.random.Generator, keep_aerial: frozenset[str] = frozenset()
) -> tuple[np.ndarray, ...]:
    """Draw operators, initial placement and spans per street.

    Returns (operators (n, 4), underground flags (n,), spans (n,)); the number of segments the
    streets can hold is ``(operators >= 0).sum(axis=1) @ spans``. Streets named in
    ``keep_aerial`` start overhead (the history moves them underground later).
    """
    operators = _choose_operators(streets, rng)
    cable = streets.lengths * (operators >= 0).sum(axis=1)
    eligible = np.isin(streets.kind, [StreetKind.AVENUE.value, StreetKind.STREET.value])
    eligible &= ~np.isin(streets.name, list(keep_aerial))
    order = rng.permutation(np.flatnonzero(eligible))
    enough = np.searchsorted(np.cumsum(cable[order]), INITIAL_UNDERGROUND_SHARE * cable.sum())
    underground = np.zeros(len(streets), dtype=bool)
    underground[order[:enough]] = True
    mean = np.where(underground, MEAN_SPAN[Placement.UNDERGROUND], MEAN_SPAN[Placement.OVERHEAD])
    spans = np.maximum(1, np.rint(streets.lengths / mean)).astype(int)
    return operators, underground, spans


def build_network(
    streets: Streets,
    metric: LocalMetric,
    n_segments: int,
    rng: np.random.Generator,
    *,
    keep_aerial: frozenset[str] = frozenset(),
) -> CableNetwork:
    """Lay exactly ``n_segments`` spans of cable along ``streets``.

    Streets named in ``keep_aerial`` start overhead whatever the draw (the history moves them
    underground later). Raises :class:`TooFewSegments` when the streets hold fewer spans.
    """
    operators, underground, spans = count_spans(streets, rng, keep_aerial)
    n_ops = (operators >= 0).sum(axis=1)
    available = int(n_ops @ spans)
    if available < n_segments:
        raise TooFewSegments(available)
    points, normals, first = _stations(streets, spans, rng)

    # Runs: one operator along one street. Keep the runs of avenues, roads and underground
    # streets (main lines without gaps, a stable underground share), then pick the others at
    # random until n_segments spans.
    run_street, run_slot = np.nonzero(operators >= 0)
    run_spans = spans[run_street]
    main = np.isin(streets.kind[run_street], [StreetKind.AVENUE.value, StreetKind.ROAD.value])
    main |= underground[run_street]
    order = np.r_[rng.permutation(np.flatnonzero(main)), rng.permutation(np.flatnonzero(~main))]
    cum = np.cumsum(run_spans[order])
    cut = int(np.searchsorted(cum, n_segments))
    chosen = np.sort(order[: cut + 1])
    taken = run_spans.copy()
    taken[order[cut]] = n_segments - (cum[cut - 1] if cut else 0)
    run_street, run_slot, taken = run_street[chosen], run_slot[chosen], taken[chosen]
    run_op = operators[run_street, run_slot]
    run_side = np.where(run_slot % 2 == 0, 1.0, -1.0)
    kind = streets.kind[run_street]
    pole_offset = np.array([SIDE_OFFSET[StreetKind(k)] for k in kind])
    beside = np.where(run_slot < 2, -CABLE_BESIDE_POLE, CABLE_BESIDE_POLE)
    run_offset = run_side * (pole_offset + beside)
    run_date = random_dates(rng, len(chosen), *FIRST_RECORDED)

    # Segments: span s of a run goes from station first[street] + s to the next station.
    seg_run = np.repeat(np.arange(len(chosen)), taken)
    span_no = np.arange(len(seg_run)) - np.repeat(np.cumsum(taken) - taken, taken)
    a = first[run_street[seg_run]] + span_no
    offset = run_offset[seg_run][:, None]
    start = points[a] + normals[a] * offset
    end = points[a + 1] + normals[a + 1] * offset
    lon0, lat0 = metric.to_lonlat(start[:, 0], start[:, 1])
    lon1, lat1 = metric.to_lonlat(end[:, 0], end[:, 1])
    seg_street = run_street[seg_run]
    seg_under = underground[seg_street]
    routes = _routes(streets, run_street, run_op)
    width = max(6, len(str(n_segments)))
    segments = pd.DataFrame({
        "source_fid": [f"TB-{i:0{width}d}" for i in range(1, len(seg_run) + 1)],
        "operator": np.array([op.code for op in CABLE_OPERATORS], dtype=object)[run_op[seg_run]],
        "route_code": routes["code"].to_numpy()[seg_run],
        "tier": routes["tier"].to_numpy()[seg_run],
        "placement": np.where(seg_under, Placement.UNDERGROUND.value, Placement.OVERHEAD.value),
        "placement_kind": np.where(seg_under, PlacementKind.DUCT.value, PlacementKind.AERIAL.value),
        "tidied": np.zeros(len(seg_run), dtype=bool),
        "lifecycle": Lifecycle.ACTIVE.value,
        "state_date": run_date[seg_run],
        "synthetic": True,
        "x0": _round(lon0), "y0": _round(lat0), "x1": _round(lon1), "y1": _round(lat1),
        "_run": seg_run,
        "_group": streets.group[seg_street],
        "_kind": streets.kind[seg_street],
        "_street": streets.name[seg_street],
    })
    ends = pd.DataFrame({
        "station": np.r_[a, a + 1],
        "side": np.tile(run_side[seg_run], 2),
        "op": np.tile(run_op[seg_run], 2),
    })
    structures = _structures(ends, points, normals, streets, operators, underground,
                             first, metric, rng, n_segments)
    return CableNetwork(segments, structures, routes.drop(columns="run"))


def _round(values: np.ndarray) -> np.ndarray:
    return np.round(values, COORD_DECIMALS)


def random_dates(rng: np.random.Generator, n: int, first: date, last: date) -> np.ndarray:
    """``n`` dates (datetime64[D]) uniformly between ``first`` and ``last`` inclusive."""
    days = rng.integers(0, (last - first).days + 1, n)
    return np.datetime64(first, "D") + days


def _routes(streets: Streets, run_street: np.ndarray, run_op: np.ndarray) -> pd.DataFrame:
    """One route per run: code ``<OPERATOR>-S<street>``; pieces of a long street numbered."""
    width = max(4, len(str(len(streets))))
    piece = pd.Series(streets.group).groupby(streets.group).cumcount().to_numpy() + 1
    pieces = np.bincount(streets.group)[streets.group]
    codes = np.array([op.code for op in CABLE_OPERATORS], dtype=object)[run_op]
    names = []
    for street, op in zip(run_street.tolist(), codes.tolist(), strict=True):
        label = streets.name[street]
        if pieces[street] > 1:
            label = f"{label} (đoạn {piece[street]})"
        names.append(f"{op} {label}")
    return pd.DataFrame({
        "code": [f"{op}-S{s + 1:0{width}d}" for op, s in zip(codes, run_street, strict=True)],
        "name": names,
        "operator": codes,
        "street": streets.name[run_street],
        "tier": [TIER[StreetKind(k)].value for k in streets.kind[run_street]],
        "run": np.arange(len(run_street)),
    })


def _structures(
    ends: pd.DataFrame,
    points: np.ndarray,
    normals: np.ndarray,
    streets: Streets,
    operators: np.ndarray,
    underground: np.ndarray,
    first: np.ndarray,
    metric: LocalMetric,
    rng: np.random.Generator,
    n_segments: int,
) -> pd.DataFrame:
    """Poles/manholes at every used station side, plus a few cabinets beside poles."""
    codes = np.array([op.code for op in CABLE_OPERATORS], dtype=object)
    street_of = np.searchsorted(first, ends["station"].to_numpy(), side="right") - 1
    ends = ends.assign(street=street_of).drop_duplicates().sort_values(
        ["station", "side", "op"], kind="stable")
    users = ends.groupby(["station", "side"], sort=True)
    table = users.agg(street=("street", "first")).reset_index()
    station, side, street = (table[c].to_numpy() for c in ("station", "side", "street"))
    sharers = users["op"].agg(list).to_numpy()
    # Owner: the first operator on that side (slot 0 = right, slot 1 = left), or the power
    # company for most pole lines (decided once per street side).
    side_slot = np.where(side > 0, 0, 1)
    first_op = operators[street, side_slot]
    first_op = np.where(first_op >= 0, first_op, operators[street, 0])
    power = rng.random((len(streets), 2)) < POWER_POLE_SHARE
    is_pole = ~underground[street]
    power_owned = is_pole & power[street, side_slot]
    owner = np.where(power_owned, POLE_OWNER, codes[first_op])
    kind = np.where(is_pole, StructureKind.POLE.value, StructureKind.MANHOLE.value)
    offset = side * np.array([SIDE_OFFSET[StreetKind(k)] for k in streets.kind[street]])
    xy = points[station] + normals[station] * offset[:, None]
    shared = [";".join(codes[o] for o in ops if codes[o] != own)
              for ops, own in zip(sharers, owner, strict=True)]
    # Cabinets: beside a few poles/manholes of avenues and streets, owned by a user of it.
    candidates = np.flatnonzero(np.isin(streets.kind[street],
                                        [StreetKind.AVENUE.value, StreetKind.STREET.value]))
    n_cab = min(len(candidates), max(1, n_segments // SEGMENTS_PER_CABINET))
    cab = np.sort(rng.choice(candidates, n_cab, replace=False)) if n_cab else candidates[:0]
    cab_owner = np.array([codes[sharers[i][0]] for i in cab], dtype=object)
    cab_xy = points[station[cab]] + normals[station[cab]] * (offset[cab] + 2.5 * side[cab])[:, None]
    frames = []
    for kind_value, prefix in ((StructureKind.POLE, "P"), (StructureKind.MANHOLE, "M")):
        sel = kind == kind_value.value
        frames.append((kind_value.value, prefix, xy[sel], owner[sel],
                       np.array(shared, dtype=object)[sel]))
    frames.append((StructureKind.CABINET.value, "C", cab_xy, cab_owner,
                   np.full(len(cab), "", dtype=object)))
    parts = []
    for kind_value, prefix, where, own, share in frames:
        lon, lat = metric.to_lonlat(where[:, 0], where[:, 1])
        width = max(6, len(str(len(own))))
        numbers = [f"{i:0{width}d}" for i in range(1, len(own) + 1)]
        parts.append(pd.DataFrame({
            "source_fid": [f"TB-{prefix}-{n}" for n in numbers],
            "kind": kind_value,
            "code": [f"{prefix}{n}" for n in numbers],
            "owner": own,
            "shared_by": share,
            "synthetic": True,
            "lon": _round(lon),
            "lat": _round(lat),
        }))
    return pd.concat(parts, ignore_index=True)
