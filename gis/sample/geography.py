"""Synthetic administrative units before and after 1/7/2025, and the old -> new crosswalk.

Before the reorganisation: the province Thái Bình, its districts (city mode: only Thái Bình city)
and their wards/communes, valid from :data:`OLD_VALID_FROM` to :data:`REORGANISED` (exclusive).
:data:`OLD_VALID_FROM` is a documented stand-in (the 2004 code list, QĐ 124/2004), not the
units' real founding dates. From :data:`REORGANISED`: the province Hưng Yên (Thái Bình plus the
former Hưng Yên) and merged communes, no districts (two-tier model, domain brief §4).

Codes are SYNTHETIC and chosen outside the real ranges (old province 97, new province 98,
communes 97xxx / 98xxx, district 971...); ``source`` is ``"synthetic"``. Boundaries are Voronoi
cells of seeded points clipped to the area, so each level tiles its parent without gaps or
overlaps. Geometry is EPSG:4326 MultiPolygons on a 1e-7 degree grid; areas for the crosswalk
are computed in EPSG:9209 (VN-2000 / TM-3, metres).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gis.choices import AdminLevel
from gis.sample import CITY, CITY_CENTRE, Area
from gis.sample.names import DISTRICTS, NEW_CITY_UNITS, OLD_CITY_UNITS, commune_names

OLD_VALID_FROM = date(2004, 1, 1)
REORGANISED = date(2025, 7, 1)
SOURCE = "synthetic"
#: Area computations (crosswalk shares) use this projected CRS, in metres.
AREA_CRS = "EPSG:9209"
GRID = 1e-7
#: Crosswalk shares below this are slivers and dropped (the rest renormalised).
MIN_SHARE = 1e-4

#: Rough synthetic outlines (lon, lat): NOT the real boundaries.
THAI_BINH_OUTLINE = Polygon([
    (106.02, 20.62), (106.20, 20.70), (106.45, 20.70), (106.58, 20.62), (106.65, 20.45),
    (106.60, 20.28), (106.45, 20.25), (106.25, 20.33), (106.08, 20.45), (106.02, 20.62),
])
OLD_HUNG_YEN_OUTLINE = Polygon([
    (105.90, 20.96), (106.12, 20.98), (106.25, 20.74), (106.20, 20.70), (106.02, 20.62),
    (105.92, 20.60), (105.90, 20.96),
])


def level_of_code(code: str) -> str:
    """The level a code's length implies: 2 digits province, 3 district, 5 commune."""
    levels = {2: AdminLevel.PROVINCE, 3: AdminLevel.DISTRICT, 5: AdminLevel.COMMUNE}
    return levels[len(code)].value


@dataclass(frozen=True)
class Unit:
    """One version of an administrative unit (a row of ``admin_units.geojson``)."""

    level: str
    code: str
    name: str
    valid_from: date
    valid_to: date | None
    geom: MultiPolygon
    parent_code: str | None = None
    parent_valid_from: date | None = None

    @property
    def parent_level(self) -> str | None:
        """Level of the parent: the level above, or the province for a new commune."""
        return level_of_code(self.parent_code) if self.parent_code else None


@dataclass(frozen=True)
class Link:
    """A crosswalk row: ``area_share`` of the old unit's area lies in the new unit."""

    old: Unit
    new: Unit
    area_share: float


def _multi(geom) -> MultiPolygon:
    """``geom`` snapped to the 1e-7 degree grid, as a normalised MultiPolygon."""
    geom = shapely.transform(shapely.set_precision(geom, GRID), lambda c: np.round(c, 7))
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return shapely.normalize(MultiPolygon(parts))


def partition(area, count: int, rng: np.random.Generator, centre_bias: float = 0.0) -> list:
    """Split ``area`` (lon/lat polygon) into ``count`` cells that tile it (seeded Voronoi).

    With ``centre_bias`` > 0 that share of the seeds fall near the city centre, so cells there
    are smaller (as urban wards are). Cells are ordered from the city centre outwards.
    """
    west, south, east, north = area.bounds
    seeds: list[Point] = []
    while len(seeds) < count:
        if rng.random() < centre_bias:
            p = Point(CITY_CENTRE[0] + rng.normal(0, 0.015), CITY_CENTRE[1] + rng.normal(0, 0.015))
        else:
            p = Point(rng.uniform(west, east), rng.uniform(south, north))
        if area.contains(p) and all(p.distance(q) > 0.004 for q in seeds):
            seeds.append(p)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=area, ordered=True)
    cells = shapely.intersection(np.asarray(shapely.get_parts(cells)), area)
    centre = Point(CITY_CENTRE)
    order = np.argsort([centre.distance(s) for s in seeds], kind="stable")
    return [_multi(cells[i]) for i in order]


def build_units(area: Area, rng: np.random.Generator, old_communes: int,
                new_communes: int) -> list[Unit]:
    """Every unit version, parents before children.

    City mode (``area`` is the demo box): one district, the city, covering the box; province
    mode: :data:`DISTRICTS` partition the province outline.
    """
    region = box(*area.bounds) if area == CITY else THAI_BINH_OUTLINE
    old_province = Unit(AdminLevel.PROVINCE.value, "97", "Tỉnh Thái Bình", OLD_VALID_FROM,
                        REORGANISED, _multi(THAI_BINH_OUTLINE))
    new_province = Unit(AdminLevel.PROVINCE.value, "98", "Tỉnh Hưng Yên", REORGANISED, None,
                        _multi(shapely.union(THAI_BINH_OUTLINE, OLD_HUNG_YEN_OUTLINE)))
    units = [old_province, new_province]
    if area == CITY:
        district_cells = [_multi(region)]
    else:
        district_cells = partition(region, len(DISTRICTS), rng, centre_bias=0.0)
    districts = [
        Unit(AdminLevel.DISTRICT.value, f"97{i + 1}", name, OLD_VALID_FROM, REORGANISED, cell,
             "97", OLD_VALID_FROM)
        for i, (name, cell) in enumerate(zip(DISTRICTS, district_cells, strict=False))
    ]
    units += districts
    per_district = np.full(len(districts), old_communes // len(districts))
    per_district[: old_communes % len(districts)] += 1
    old_names = _names(OLD_CITY_UNITS, old_communes)
    code = 1
    for district, n in zip(districts, per_district, strict=True):
        for cell in partition(district.geom, int(n), rng, centre_bias=0.5):
            units.append(Unit(AdminLevel.COMMUNE.value, f"97{code:03d}", old_names[code - 1],
                              OLD_VALID_FROM, REORGANISED, cell, district.code, OLD_VALID_FROM))
            code += 1
    new_names = _names(NEW_CITY_UNITS, new_communes)
    for i, cell in enumerate(partition(region, new_communes, rng, centre_bias=0.5)):
        units.append(Unit(AdminLevel.COMMUNE.value, f"98{i + 1:03d}", new_names[i], REORGANISED,
                          None, cell, "98", REORGANISED))
    return units


def _names(city_names: tuple[str, ...], count: int) -> list[str]:
    """The city's illustrative names first, then generated commune names."""
    extra = [n for n in commune_names(count) if n not in city_names]
    return (list(city_names) + extra)[:count]


def build_crosswalk(units: list[Unit]) -> list[Link]:
    """Old -> new links with area shares (EPSG:9209 areas), summing to 1 for each old unit.

    Old communes and districts map to the new communes, the old province to the new one.
    """
    old = [u for u in units if u.valid_to == REORGANISED]
    new = [u for u in units if u.valid_from == REORGANISED]
    to_metres = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    metric = {id(u): shapely.transform(u.geom, to_metres.transform, interleaved=False)
              for u in units}
    links: list[Link] = []
    for o in old:
        targets = [n for n in new if (n.level == AdminLevel.PROVINCE.value)
                   == (o.level == AdminLevel.PROVINCE.value)]
        shared = shapely.area(shapely.intersection(metric[id(o)],
                                                   np.array([metric[id(n)] for n in targets])))
        shares = shared / shapely.area(metric[id(o)])
        keep = shares >= MIN_SHARE
        shares = np.round(shares[keep] / shares[keep].sum(), 6)
        shares[np.argmax(shares)] += round(1.0 - shares.sum(), 6)
        links += [Link(o, n, round(float(s), 6))
                  for n, s in zip(np.array(targets, dtype=object)[keep], shares, strict=True)]
    return links
