"""Coordinate reference systems: parse what users type, identify what files say, transform.

Rules (see domain brief section 5, the VN-2000 traps):

* Storage is EPSG:4326 (WGS 84 longitude/latitude, degrees). Lengths and buffers are done in the
  metric CRS of the settings (EPSG:9209, VN-2000 / TM-3 105-30, metres; Hưng Yên and Thái Bình).
* A CRS is named by its EPSG code only. No PROJ string is ever typed by hand here, and a file
  whose CRS is not an EPSG definition (e.g. a hand-made VN-2000 ``+towgs84`` with flipped rotation
  signs, or ``k=0.9996`` for a provincial zone) is refused until the user declares the EPSG code.
* Transformations come from the PROJ database: VN-2000 -> WGS 84 is the 7-parameter
  Helmert EPSG:6960 "VN-2000 to WGS 84 (2)" (coordinate-frame convention). Ballpark
  transformations (no datum shift, errors of hundreds of metres) are refused.
* Every transformer uses ``always_xy=True``: x = longitude or easting, y = latitude or northing.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.transformer import TransformerGroup

from gis.errors import CRSError
from gis.settings import get_settings

#: EPSG code of stored geometry (WGS 84, longitude/latitude in degrees).
STORAGE_EPSG = 4326

#: Where cable can be: Vietnam's extent in degrees (lon_min, lat_min, lon_max, lat_max), EPSG:4326.
#: Inside the database's check envelope (100..120, 5..25), so a row that passes here is accepted.
VIETNAM_BOUNDS: tuple[float, float, float, float] = (102.0, 6.0, 117.9, 23.6)

#: Names users type for common systems, mapped to their EPSG codes.
ALIASES: dict[str, int] = {
    "WGS84": 4326,
    "WGS-84": 4326,
    "WGS 84": 4326,
    "VN-2000": 4756,
    "VN2000": 4756,
    "VN-2000/UTM48N": 3405,
    "VN-2000/UTM49N": 3406,
}

#: An example to put in messages: the provincial zone of Hưng Yên and Thái Bình.
EXAMPLE_DECLARATION = "--crs EPSG:9209"

_EPSG_PATTERN = re.compile(r"^(?:EPSG\s*:{1,2}\s*)?(\d{4,6})$", re.IGNORECASE)
_VIETNAM_AOI = AreaOfInterest(*VIETNAM_BOUNDS)
_WGS84 = Geod(ellps="WGS84")


def parse_crs(text: str) -> CRS:
    """Return the CRS a user named: ``EPSG:9209``, ``9209`` or an alias such as ``VN-2000``.

    Raises CRSError for anything else (PROJ strings and WKT are refused on purpose) and for
    codes that are unknown or not horizontal (geographic or projected).
    """
    cleaned = " ".join(str(text).split())
    code = ALIASES.get(cleaned.upper())
    if code is None:
        match = _EPSG_PATTERN.match(cleaned)
        if not match:
            raise CRSError(
                f"cannot read the CRS {text!r}: give an EPSG code, e.g. {EXAMPLE_DECLARATION} "
                "(VN-2000 / TM-3 105-30 for Hưng Yên and Thái Bình) or --crs EPSG:4326 (GPS)"
            )
        code = int(match.group(1))
    try:
        crs = CRS.from_epsg(code)
    except PyprojCRSError as exc:
        raise CRSError(f"EPSG:{code} is not a known coordinate reference system") from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(
            f"EPSG:{code} ({crs.name}) is a {crs.type_name}; a horizontal CRS (geographic or "
            "projected) is needed"
        )
    return crs


def crs_label(crs: CRS) -> str:
    """Return ``EPSG:<code>`` when the CRS is an EPSG definition, else its name."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name


def identify_file_crs(crs: CRS, file_name: str) -> CRS:
    """Return the EPSG definition of a CRS read from a file, or raise CRSError.

    A file's own datum shift (``TOWGS84``) is not trusted: hand-made VN-2000 definitions often
    carry the rotation signs of the wrong convention (0.74 m off near Thái Bình).
    """
    fix = f"declare the right EPSG code and override the file: {EXAMPLE_DECLARATION} --force-crs"
    if crs.is_bound:
        base = crs.source_crs.to_epsg() if crs.source_crs is not None else None
        hint = f" (it looks like EPSG:{base})" if base else ""
        raise CRSError(
            f"{file_name} defines its CRS with its own datum shift (TOWGS84){hint}; such "
            f"definitions are often wrong for VN-2000, so {fix}"
        )
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        raise CRSError(
            f"{file_name} uses a CRS that is not an EPSG definition ({crs.name!r}); {fix}"
        )
    return parse_crs(f"EPSG:{code}")


def same_crs(a: CRS, b: CRS) -> bool:
    """Whether two CRSs are the same system (axis order ignored)."""
    if a.equals(b, ignore_axis_order=True):
        return True
    code_a, code_b = a.to_epsg(), b.to_epsg()
    return code_a is not None and code_a == code_b


def resolve_source_crs(
    file_crs: CRS | None,
    declared: str | None,
    *,
    file_name: str,
    force: bool = False,
    file_crs_implied: bool = False,
) -> CRS:
    """Decide the CRS of a file's coordinates from what the file says and what the user declared.

    * no CRS in the file: the declaration is required (never guessed);
    * a CRS in the file and none declared: the file's (as an EPSG definition);
    * both: they must agree, unless ``force`` (the file is wrong) or the file's CRS is only
      implied by its format (GeoJSON without a ``crs`` member is WGS 84 by RFC 7946).
    """
    declared_crs = parse_crs(declared) if declared else None
    if file_crs is None:
        if declared_crs is None:
            raise CRSError(
                f"{file_name} does not say which coordinate system its coordinates are in; "
                f"declare it, e.g. {EXAMPLE_DECLARATION} (VN-2000 / TM-3 105-30, Hưng Yên and "
                "Thái Bình, metres) or --crs EPSG:4326 (GPS longitude/latitude)"
            )
        return declared_crs
    if declared_crs is None:
        return identify_file_crs(file_crs, file_name)
    if force or file_crs_implied or same_crs(file_crs, declared_crs):
        return declared_crs
    raise CRSError(
        f"{file_name} says its CRS is {crs_label(file_crs)} ({file_crs.name}) but "
        f"{crs_label(declared_crs)} was declared; drop --crs to use the file's, or add "
        "--force-crs if the file's CRS is wrong"
    )


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> Transformer:
    group = TransformerGroup(source, target, always_xy=True, area_of_interest=_VIETNAM_AOI)
    if not group.transformers:
        raise CRSError(f"PROJ knows no transformation from {source} to {target}")
    best = group.transformers[0]
    if "ballpark" in best.description.lower():
        raise CRSError(
            f"PROJ knows no datum transformation from {source} to {target} (only a ballpark "
            "one, hundreds of metres off); declare a CRS with a known datum by EPSG code"
        )
    return best


def transformer(source: CRS, target: CRS | int = STORAGE_EPSG) -> Transformer:
    """Return the cached, best-ranked PROJ transformer between two EPSG systems (always_xy).

    The first operation PROJ ranks for Vietnam is used for every point, so a whole file goes
    through one documented pipeline (VN-2000: EPSG:6960) instead of a per-point choice.
    """
    target_crs = target if isinstance(target, CRS) else CRS.from_epsg(target)
    return _transformer(_key(source), _key(target_crs))


def _key(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_wkt()


def transformation_description(source: CRS) -> str:
    """Name of the operation that takes ``source`` to storage (for the import's audit record)."""
    if same_crs(source, CRS.from_epsg(STORAGE_EPSG)):
        return "no transformation needed"
    return transformer(source).description


def transform(geoms: np.ndarray, source: CRS, target: CRS | int = STORAGE_EPSG) -> np.ndarray:
    """Return ``geoms`` (shapely array, coordinates in ``source``) transformed to ``target``.

    Missing geometries stay None. Coordinates PROJ cannot transform become ``inf``.
    """
    target_crs = target if isinstance(target, CRS) else CRS.from_epsg(target)
    if same_crs(source, target_crs):
        return np.asarray(geoms, dtype=object)
    tr = transformer(source, target_crs)

    def apply(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return tr.transform(x, y, errcheck=False)

    return shapely.transform(np.asarray(geoms, dtype=object), apply, interleaved=False)


def to_storage(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Transform ``geoms`` from ``crs`` to the storage CRS, EPSG:4326 (lon/lat degrees)."""
    return transform(geoms, crs, STORAGE_EPSG)


def metric_crs() -> CRS:
    """The projected CRS for metres (settings ``metric_crs``; default EPSG:9209)."""
    return parse_crs(get_settings().metric_crs)


def to_metric(geoms: np.ndarray) -> np.ndarray:
    """Transform stored geometry (EPSG:4326) to the metric CRS (metres, e.g. for buffers)."""
    return transform(geoms, CRS.from_epsg(STORAGE_EPSG), metric_crs())


def geodesic_distance_m(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Geodesic distance in metres on the WGS 84 ellipsoid between points given in degrees."""
    _, _, dist = _WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)
