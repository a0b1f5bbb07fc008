"""Import operators' cable files into the network (segments and their routes).

Formats: GeoJSON, GeoPackage, Shapefile (zipped or plain), KML, FlatGeobuf, CSV with a WKT
column. Coordinates are transformed by EPSG code to EPSG:4326 (VN-2000 via EPSG:6960); a file
without a CRS must be declared (``ImportOptions.crs``). Columns and values are mapped by a TOML
file (``default_mapping.toml`` documents the format). Every row is validated before anything is
written; the import is all rows or none unless ``skip_invalid``. Re-importing a file is
idempotent: segments are keyed on (source, source_fid).

Progress stages reported to a ProgressFn: "reading", "validating", "writing" (COPY, in chunks of
rows), "merging" (the set-based SQL steps of a re-import), "indexing" (a bulk load rebuilding
indexes and keys, see :mod:`gis.importers.bulk`).

Row numbers in problems: the feature's position in its layer (first = 1); for CSV the line
number with the header as line 1 (first data row = line 2).

Example::

    from gis.importers import ImportOptions, import_segments
    with transaction(engine, actor="loader") as session:
        report = import_segments(session, "vnpt.gpkg", ImportOptions(operator="VNPT"))
"""

from importlib import import_module
from typing import TYPE_CHECKING

# Light names load with the package; the reading and writing machinery (pandas, pyogrio,
# pyarrow, geopandas: ~160 MiB) only when first used, so that `telecom-gis export` or `users`
# do not carry it (PEP 562).
from gis.importers.options import SUPPORTED_FORMATS, ImportOptions, ImportOptionsError
from gis.progress import ProgressFn

if TYPE_CHECKING:
    from gis.importers.mapping import Mapping, read_mapping
    from gis.importers.pipeline import import_segments
    from gis.importers.report import ImportReport, RowProblem

_LAZY = {
    "Mapping": "gis.importers.mapping",
    "read_mapping": "gis.importers.mapping",
    "import_segments": "gis.importers.pipeline",
    "ImportReport": "gis.importers.report",
    "RowProblem": "gis.importers.report",
}


def __getattr__(name: str):
    """Load the heavier names on first use."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gis.importers' has no attribute {name!r}")


__all__ = [
    "SUPPORTED_FORMATS",
    "ImportOptions",
    "ImportOptionsError",
    "ImportReport",
    "Mapping",
    "ProgressFn",
    "RowProblem",
    "import_segments",
    "read_mapping",
]
