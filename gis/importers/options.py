"""What the caller asks of an import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gis.errors import GisError

#: File name endings the importer reads, and what they are.
SUPPORTED_FORMATS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".zip": "zipped Shapefile",
    ".shp": "Shapefile",
    ".kml": "KML",
    ".fgb": "FlatGeobuf",
    ".csv": "CSV with a WKT column",
}


class ImportOptionsError(GisError):
    """An import option is unusable (unknown ``--operator``, effective date in the future ...)."""


@dataclass
class ImportOptions:
    """Options of :func:`gis.importers.import_segments`.

    ``crs``: the source CRS as an EPSG code (``"EPSG:9209"``); required when the file has none;
    when the file has one and this differs, CRSError unless ``force_crs``.
    ``operator``: operator code for rows whose operator column is absent or empty.
    ``mapping``: TOML mapping file laid over the default mapping.
    ``source``: dataset name; (source, source_fid) is the idempotency key. Default: file stem.
    ``effective_date``: date of new states when a row has no date. Default: the database's today.
    ``skip_invalid``: write the good rows and report the bad ones instead of failing.
    ``dry_run``: validate and count, write nothing.
    ``layer``: the layer to read from a GeoPackage, KML or zip holding several.
    """

    crs: str | None = None
    force_crs: bool = False
    operator: str | None = None
    mapping: Path | None = None
    source: str | None = None
    effective_date: date | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    layer: str | None = None
