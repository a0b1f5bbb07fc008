"""The synthetic street network: main avenues, a jittered grid of streets, and alleys.

All coordinates here are local metres (:class:`gis.sample.local_crs.LocalMetric`, x east, y
north) around the grid centre. Streets are polylines with a vertex every :data:`VERTEX_STEP`
metres, wiggled sideways so they do not look ruled. The grid is the disc of radius
``radius`` around the centre; avenues cross it and continue as numbered roads to the edge of the
area; alleys branch off grid streets. Everything stays inside the area (less a small margin).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.sample.local_crs import LocalMetric
from gis.sample.names import road_name, street_name

#: Metres between consecutive vertices of a street centreline.
VERTEX_STEP = 100.0
#: Longest street piece in metres; longer lines are split into pieces (one route each).
MAX_STREET_LENGTH = 2000.0
#: Streets shorter than this (metres) are dropped.
MIN_STREET_LENGTH = 20.0
#: Keep every vertex this many degrees inside the area, so offset cables stay inside too.
AREA_MARGIN_DEG = 0.0003
#: Mean distance along a grid street between alleys (metres).
ALLEY_SPACING = 350.0


class StreetKind(StrEnum):
    """Street classes; they decide operators per street, cable tier and pole offset."""

    AVENUE = "avenue"  # main avenue through the centre: 3-4 operators, trunk
    ROAD = "road"  # numbered road outside the grid: 1-2 operators, trunk
    STREET = "street"  # grid street: 1-3 operators, intermediate
    ALLEY = "alley"  # ngõ off a street: 1 operator, drop


@dataclass
class Streets:
    """Street centrelines (shapely LineStrings in local metres) and their attributes.

    ``group`` numbers the named street a piece belongs to: the pieces of one long street share
    it, so a campaign can act on "the whole street".
    """

    geoms: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    group: np.ndarray

    def __len__(self) -> int:
        return len(self.geoms)

    @property
    def lengths(self) -> np.ndarray:
        """Length of each street in metres."""
        return shapely.length(self.geoms)


class Region:
    """The area as a polygon in lon/lat, tested with points in local metres."""

    def __init__(self, polygon: BaseGeometry, metric: LocalMetric) -> None:
        self.metric = metric
        self.inner = polygon.buffer(-AREA_MARGIN_DEG)
        shapely.prepare(self.inner)
        x, y = metric.to_metric(*np.asarray(polygon.exterior.coords).T)
        #: Largest distance (metres) from the centre to the area's boundary.
        self.reach = float(np.hypot(x, y).max())

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether each point (local metres) lies inside the area less the margin."""
        lon, lat = self.metric.to_lonlat(x, y)
        return shapely.contains_xy(self.inner, lon, lat)


@dataclass(frozen=True)
class GridSpec:
    """Shape of the network: grid disc ``radius`` and ``spacing`` (metres), ``avenues`` count."""

    radius: float
    spacing: float
    avenues: int


class _Builder:
    """Collects street pieces; pieces of one line share a group and a name."""

    def __init__(self) -> None:
        self.coords: list[np.ndarray] = []
        self.kind: list[str] = []
        self.name: list[str] = []
        self.group: list[int] = []
        self.groups = 0

    def add_line(self, xy: np.ndarray, keep: np.ndarray, kind_of: np.ndarray, names: dict) -> None:
        """Add the runs of consecutive kept vertices of one line, split into pieces.

        ``kind_of`` gives each vertex's street kind; where it changes the line is split and
        both pieces share the vertex. ``names`` maps a kind to this line's name for that kind.
        Pieces are at most MAX_STREET_LENGTH long.
        """
        max_vertices = int(MAX_STREET_LENGTH / VERTEX_STEP) + 1
        used = False
        for run in np.split(np.arange(len(xy)), np.flatnonzero(keep[1:] != keep[:-1]) + 1):
            if not keep[run[0]] or len(run) < 2:
                continue
            change = np.flatnonzero(kind_of[run][1:] != kind_of[run][:-1]) + 1
            cuts = sorted({0, len(run) - 1, *change.tolist(),
                           *range(0, len(run) - 1, max_vertices - 1)})
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                kind = str(kind_of[run[b - 1]])
                self.coords.append(xy[run[a : b + 1]])
                self.kind.append(kind)
                self.name.append(names[kind])
                self.group.append(self.groups)
                used = True
        self.groups += used

    def add_piece(self, xy: np.ndarray, kind: str, name: str) -> None:
        """Add one street that is its own group."""
        self.coords.append(xy)
        self.kind.append(kind)
        self.name.append(name)
        self.group.append(self.groups)
        self.groups += 1

    def build(self) -> Streets:
        geoms = shapely.linestrings(np.concatenate(self.coords), indices=np.repeat(
            np.arange(len(self.coords)), [len(c) for c in self.coords]))
        streets = Streets(geoms, np.array(self.kind, dtype=object),
                          np.array(self.name, dtype=object), np.array(self.group))
        keep = streets.lengths >= MIN_STREET_LENGTH
        return Streets(streets.geoms[keep], streets.kind[keep], streets.name[keep],
                       streets.group[keep])


def _wiggle(t: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Sideways displacement (metres) along a line: a slow wave plus small jitter."""
    wave = rng.uniform(0, amplitude) * np.sin(
        2 * np.pi * t / rng.uniform(600, 2000) + rng.uniform(0, 2 * np.pi))
    return wave + rng.uniform(-3, 3, len(t))


def _line(t: np.ndarray, offset: float, angle: float, sideways: np.ndarray) -> np.ndarray:
    """Points at distances ``t`` along direction ``angle``, ``offset`` + ``sideways`` across."""
    u = np.array([np.cos(angle), np.sin(angle)])
    v = np.array([-u[1], u[0]])
    return np.outer(t, u) + np.outer(offset + sideways, v)


def build_streets(region: Region, spec: GridSpec, rng: np.random.Generator) -> Streets:
    """Build avenues (and their roads), the grid streets and alleys inside ``region``."""
    builder = _Builder()
    theta = rng.uniform(-0.25, 0.25)
    reach = region.reach
    # Avenues through the centre; outside the grid disc they become numbered roads.
    for k in range(spec.avenues):
        angle = theta + np.pi / 4 + k * np.pi / spec.avenues + rng.uniform(-0.08, 0.08)
        t = np.arange(-reach, reach + VERTEX_STEP, VERTEX_STEP)
        xy = _line(t, 0.0, angle, _wiggle(t, rng, 20.0))
        inner = np.hypot(xy[:, 0], xy[:, 1]) <= spec.radius
        kind_of = np.where(inner, StreetKind.AVENUE.value, StreetKind.ROAD.value)
        keep = region.contains(xy[:, 0], xy[:, 1])
        builder.add_line(xy, keep, kind_of, {StreetKind.AVENUE.value: street_name(k),
                                             StreetKind.ROAD.value: road_name(k)})
    # The grid: two families of parallel streets, nearest the centre named first.
    half = min(spec.radius, reach)
    count = int(np.ceil(half / spec.spacing))
    lines = []
    for family in (0, 1):
        slots = np.arange(-count, count + 1)
        offsets = (slots + rng.uniform(-0.2, 0.2, len(slots))) * spec.spacing
        lines += [(abs(o), family, o) for o in offsets if abs(o) < half]
    lines.sort()
    grid_kind = np.array([StreetKind.STREET.value])
    for rank, (_, family, offset) in enumerate(lines):
        length = np.sqrt(half**2 - offset**2)
        t = np.arange(-length, length + VERTEX_STEP, VERTEX_STEP)
        xy = _line(t, offset, theta + family * np.pi / 2, _wiggle(t, rng, 15.0))
        keep = (np.hypot(xy[:, 0], xy[:, 1]) <= spec.radius) & region.contains(xy[:, 0], xy[:, 1])
        builder.add_line(xy, keep, np.repeat(grid_kind, len(xy)),
                         {StreetKind.STREET.value: street_name(spec.avenues + rank)})
    _add_alleys(builder, region, rng)
    return builder.build()


def _add_alleys(builder: _Builder, region: Region, rng: np.random.Generator) -> None:
    """Add short dead-end alleys (ngõ) perpendicular to the grid streets."""
    is_street = np.array([k == StreetKind.STREET.value for k in builder.kind], dtype=bool)
    if not is_street.any():
        return
    parents = np.flatnonzero(is_street)
    geoms = shapely.linestrings(np.concatenate([builder.coords[i] for i in parents]),
                                indices=np.repeat(np.arange(len(parents)),
                                                  [len(builder.coords[i]) for i in parents]))
    lengths = shapely.length(geoms)
    per_street = rng.poisson(lengths / ALLEY_SPACING)
    owner = np.repeat(np.arange(len(parents)), per_street)
    n = len(owner)
    along = rng.uniform(0.1, 0.9, n) * lengths[owner]
    base = shapely.get_coordinates(shapely.line_interpolate_point(geoms[owner], along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(geoms[owner], along + 1.0))
    tangent = ahead - base
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    side = rng.choice([-1.0, 1.0], n)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) * side[:, None]
    length = rng.uniform(60, 220, n)
    bend = rng.uniform(-0.15, 0.15, (n, 2)) * length[:, None]
    mid = base + normal * (length / 2)[:, None] + tangent * bend[:, :1]
    end = base + normal * length[:, None] + tangent * bend[:, 1:]
    xy = np.stack([base, mid, end], axis=1)
    inside = region.contains(xy[:, :, 0].ravel(), xy[:, :, 1].ravel()).reshape(n, 3).all(axis=1)
    house = (along // 5).astype(int) * 2 + np.where(side > 0, 1, 2)
    for i in np.flatnonzero(inside):
        parent_name = builder.name[parents[owner[i]]]
        builder.add_piece(xy[i], StreetKind.ALLEY.value, f"Ngõ {house[i]} {parent_name}")
