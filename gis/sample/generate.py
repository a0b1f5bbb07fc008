"""Generate the synthetic sample files for a seed: the demo, or a large benchmark network.

``generate_sample(out, segments=3000, seed=DEFAULT_SEED)`` writes the committed demo files;
``segments=1_000_000`` spreads the network over the whole (approximate) former province and
writes GeoPackage. The same seed and arguments give byte-identical GeoJSON/CSV files; the
random streams of the street grid, the cables, the history, the geography and the plans are
separate, so changing one does not reshuffle the others.

Files (all EPSG:4326, all SYNTHETIC): operators.csv, admin_units.geojson, crosswalk.csv,
routes.csv, segments.geojson|gpkg, structures.geojson|gpkg, segment_history.csv, plans.csv and
manifest.json (seed, counts, km). ``sample_data/README.md`` describes every column.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import box, mapping

from gis.choices import Lifecycle, Placement
from gis.progress import ProgressFn, no_progress
from gis.sample import (
    AREAS,
    CITY,
    CITY_CENTRE,
    DEFAULT_SEED,
    DEFAULT_SEGMENTS,
    DEMO_SOURCE,
    LARGE_THRESHOLD,
    PROVINCE,
    SYNTHETIC_NOTICE,
)
from gis.sample.changes import LAST_DATE, build_history
from gis.sample.files import write_csv, write_geojson, write_gpkg
from gis.sample.geography import SOURCE as UNIT_SOURCE
from gis.sample.geography import THAI_BINH_OUTLINE, Unit, build_crosswalk, build_units
from gis.sample.inspection_plan import build_plan, write_plan
from gis.sample.local_crs import LocalMetric
from gis.sample.names import OPERATORS, PLAN_2020_STREETS
from gis.sample.network import CableNetwork, TooFewSegments, build_network, count_spans
from gis.sample.plans import build_plans
from gis.sample.street_grid import GridSpec, Region, build_streets

#: Grid spacing (metres) between parallel streets; shrinks only if the whole area is too small.
STREET_SPACING = 400.0
#: Segments per square metre of grid disc at STREET_SPACING (measured; a first guess only).
SEGMENT_DENSITY = 2.7e-4
AVENUES = {CITY.name: 3, PROVINCE.name: 6}
#: The generator asks the streets for this much more than needed, then drops whole runs.
HEADROOM = (1.02, 1.35)
#: Random stream numbers (one per concern).
STREAM_STREETS, STREAM_CABLES, STREAM_HISTORY, STREAM_UNITS, STREAM_PLANS = 1, 2, 3, 4, 5
STREAM_INSPECTIONS = 6
SEGMENT_COLUMNS = ["source_fid", "operator", "route_code", "tier", "placement", "placement_kind",
                   "tidied", "lifecycle", "state_date", "synthetic"]
STRUCTURE_COLUMNS = ["source_fid", "kind", "code", "owner", "shared_by", "synthetic"]
ROUTE_COLUMNS = ["code", "name", "operator", "street", "tier"]
_GEOD = Geod(ellps="WGS84")
#: The 2020 plan's streets start overhead: the history tidies them, then moves them underground.
KEEP_AERIAL = frozenset(PLAN_2020_STREETS)


@dataclass
class GenerateResult:
    """What was written: rows per file, km by placement, and timing."""

    directory: Path
    seed: int
    segments: int
    area: str
    format: str
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    km: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def sample_source(segments: int, seed: int, area: str) -> str:
    """The ``source`` key of a generated set: the demo's, or one naming its arguments."""
    if (segments, seed, area) == (DEFAULT_SEGMENTS, DEFAULT_SEED, CITY.name):
        return DEMO_SOURCE
    return f"sample:{area}-{segments}-{seed}"


def default_area(segments: int) -> str:
    """City for up to LARGE_THRESHOLD segments, else the whole province."""
    return CITY.name if segments <= LARGE_THRESHOLD else PROVINCE.name


def default_format(segments: int) -> str:
    """GeoJSON for up to LARGE_THRESHOLD segments, else GeoPackage."""
    return "geojson" if segments <= LARGE_THRESHOLD else "gpkg"


def _commune_counts(area: str, segments: int) -> tuple[int, int]:
    """Old and new communes: 12 and 5 in the city; in the province up to 260 old ones (as
    Thái Bình had) depending on the size, and a quarter as many merged ones."""
    if area == CITY.name:
        return 12, 5
    old = min(260, max(24, round(segments / 3850)))
    return old, max(8, old // 4)


def _sized_network(region: Region, metric: LocalMetric, segments: int, seed: int,
                   avenues: int) -> CableNetwork:
    """Grow or shrink the grid disc (then the spacing) until the streets fit ``segments``."""
    radius = math.sqrt(segments / SEGMENT_DENSITY / math.pi)
    spacing = STREET_SPACING
    for _ in range(20):
        spec = GridSpec(min(radius, region.reach), spacing, avenues)
        streets = build_streets(region, spec, _rng(seed, STREAM_STREETS))
        operators, _, spans = count_spans(streets, _rng(seed, STREAM_CABLES), KEEP_AERIAL)
        available = int((operators >= 0).sum(axis=1) @ spans)
        low, high = HEADROOM
        if segments * low <= available <= segments * high or (
                available >= segments and spacing < STREET_SPACING):
            break
        factor = segments * (low + high) / 2 / max(available, 1)
        if radius < region.reach or factor < 1:
            radius = min(radius, region.reach) * math.sqrt(factor)
        else:
            spacing = max(40.0, spacing / factor)
    try:
        return build_network(streets, metric, segments, _rng(seed, STREAM_CABLES),
                             keep_aerial=KEEP_AERIAL)
    except TooFewSegments as exc:
        raise ValueError(f"{segments:,} segments do not fit the area ({exc})") from exc


def _line_geojson(frame: pd.DataFrame):
    for x0, y0, x1, y1 in frame[["x0", "y0", "x1", "y1"]].itertuples(index=False, name=None):
        yield {"type": "LineString", "coordinates": [[x0, y0], [x1, y1]]}


def _point_geojson(frame: pd.DataFrame):
    for lon, lat in frame[["lon", "lat"]].itertuples(index=False, name=None):
        yield {"type": "Point", "coordinates": [lon, lat]}


def _write_layer(out: Path, stem: str, fmt: str, props: pd.DataFrame, frame: pd.DataFrame,
                 lines: bool) -> tuple[str, int]:
    if fmt == "geojson":
        geoms = _line_geojson(frame) if lines else _point_geojson(frame)
        return f"{stem}.geojson", write_geojson(out / f"{stem}.geojson", stem, props, geoms)
    if lines:
        coords = frame[["x0", "y0", "x1", "y1"]].to_numpy().reshape(-1, 2)
        geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(len(frame)), 2))
    else:
        geoms = shapely.points(frame[["lon", "lat"]].to_numpy())
    return f"{stem}.gpkg", write_gpkg(out / f"{stem}.gpkg", stem, props, geoms)


def _km(segments: pd.DataFrame, history: pd.DataFrame) -> dict[str, float]:
    """Km overhead and underground initially and at LAST_DATE (removed cable excluded)."""
    final = history.sort_values(["source_fid", "effective_date"], kind="stable")
    final = final.groupby("source_fid").last()
    # astype(object): with no history rows the map is all-NaN float64, which strings cannot fill.
    fids = segments["source_fid"]
    placement = fids.map(final["placement"]).astype(object).fillna(segments["placement"])
    lifecycle = fids.map(final["lifecycle"]).astype(object).fillna(segments["lifecycle"])
    km = segments["_length_m"] / 1000.0
    active = lifecycle == Lifecycle.ACTIVE.value
    result = {}
    for p in (Placement.OVERHEAD.value, Placement.UNDERGROUND.value):
        result[f"{p}_initial"] = round(float(km[segments["placement"] == p].sum()), 3)
        result[f"{p}_{LAST_DATE.isoformat()}"] = round(float(km[active & (placement == p)].sum()),
                                                      3)
    result[f"removed_{LAST_DATE.isoformat()}"] = round(float(km[~active].sum()), 3)
    return result


def generate_sample(
    out: Path,
    *,
    segments: int = DEFAULT_SEGMENTS,
    seed: int = DEFAULT_SEED,
    area: str | None = None,
    fmt: str | None = None,
    progress: ProgressFn | None = None,
) -> GenerateResult:
    """Generate the synthetic network and write its files into ``out`` (created if needed).

    ``area`` is "city" (the demo box, lon 106.29-106.40, lat 20.40-20.50) or "province"
    (lon 106.0-106.65, lat 20.25-20.70, approximate); ``fmt`` "geojson" or "gpkg" for the two
    large layers. Defaults follow the size (see :func:`default_area`, :func:`default_format`).
    """
    started = time.perf_counter()
    if segments < 1:
        raise ValueError("segments must be at least 1")
    area = area or default_area(segments)
    fmt = fmt or default_format(segments)
    if area not in AREAS or fmt not in ("geojson", "gpkg"):
        raise ValueError(f"unknown area {area!r} or format {fmt!r}")
    report = progress or no_progress
    steps = 8
    source = sample_source(segments, seed, area)
    result = GenerateResult(out, seed, segments, area, fmt, source)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("segments", "structures"):
        for suffix in (".geojson", ".gpkg"):
            (out / f"{stale}{suffix}").unlink(missing_ok=True)

    report("generating", 0, steps)
    metric = LocalMetric(*CITY_CENTRE)
    outline = box(*CITY.bounds) if area == CITY.name else THAI_BINH_OUTLINE
    network = _sized_network(Region(outline, metric), metric, segments, seed, AVENUES[area])
    seg = network.segments
    seg["_length_m"] = _GEOD.inv(seg["x0"].to_numpy(), seg["y0"].to_numpy(),
                                 seg["x1"].to_numpy(), seg["y1"].to_numpy())[2]
    report("generating", 1, steps)
    history = build_history(seg, _rng(seed, STREAM_HISTORY), source)
    report("generating", 2, steps)
    units = build_units(AREAS[area], _rng(seed, STREAM_UNITS), *_commune_counts(area, segments))
    links = build_crosswalk(units)
    plans = build_plans(units, seg, history, _rng(seed, STREAM_PLANS))
    report("generating", 3, steps)

    rows = result.rows
    operators = pd.DataFrame([(o.code, o.name, o.kind.value) for o in OPERATORS],
                             columns=["code", "name", "kind"])
    rows["operators.csv"] = write_csv(out / "operators.csv", operators)
    rows["admin_units.geojson"] = _write_units(out / "admin_units.geojson", units)
    rows["crosswalk.csv"] = write_csv(out / "crosswalk.csv", pd.DataFrame(
        [(k.old.code, k.old.valid_from, k.new.code, k.new.valid_from, k.area_share)
         for k in links],
        columns=["old_code", "old_valid_from", "new_code", "new_valid_from", "area_share"]))
    rows["routes.csv"] = write_csv(out / "routes.csv", network.routes[ROUTE_COLUMNS])
    report("generating", 4, steps)
    name, count = _write_layer(out, "segments", fmt, seg[SEGMENT_COLUMNS], seg, lines=True)
    rows[name] = count
    report("generating", 5, steps)
    st = network.structures
    name, count = _write_layer(out, "structures", fmt, st[STRUCTURE_COLUMNS], st, lines=False)
    rows[name] = count
    report("generating", 6, steps)
    rows["segment_history.csv"] = write_csv(out / "segment_history.csv", history)
    rows["plans.csv"] = write_csv(out / "plans.csv", plans)
    inspections = build_plan(seg, history, units, _rng(seed, STREAM_INSPECTIONS), seed)
    rows.update(write_plan(out, inspections))
    report("generating", 7, steps)
    result.km = _km(seg, history)
    _write_manifest(out / "manifest.json", result)
    report("generating", steps, steps)
    result.seconds = time.perf_counter() - started
    return result


def _write_units(path: Path, units: list[Unit]) -> int:
    """admin_units.geojson: one feature per unit version, parent given by code + valid_from."""
    props = pd.DataFrame([{
        "level": u.level, "code": u.code, "name": u.name,
        "valid_from": u.valid_from.isoformat(),
        "valid_to": u.valid_to.isoformat() if u.valid_to else None,
        "parent_level": u.parent_level, "parent_code": u.parent_code,
        "parent_valid_from": u.parent_valid_from.isoformat() if u.parent_valid_from else None,
        "source": UNIT_SOURCE, "synthetic": True,
    } for u in units])
    return write_geojson(path, "admin_units", props, (mapping(u.geom) for u in units))


def _write_manifest(path: Path, result: GenerateResult) -> None:
    manifest = {
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "generator": "telecom-gis sample generate (gis.sample.generate)",
        "seed": result.seed,
        "segments": result.segments,
        "area": result.area,
        "bbox": list(AREAS[result.area].bounds),
        "crs": "EPSG:4326",
        "format": result.format,
        "source": result.source,
        "history_until": LAST_DATE.isoformat(),
        "rows": result.rows,
        "km": result.km,
    }
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

