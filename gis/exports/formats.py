"""The export formats: name, media type, file extension, how the file is made, which CRSs it
may be written in, and the file name of an export.

=========  ==========================================  ==========  ===========================
name       media type                                  made        CRS
=========  ==========================================  ==========  ===========================
geojson    application/geo+json                        streamed    WGS 84 only (RFC 7946)
csv        text/csv; charset=utf-8                     streamed    any (``geometry`` as WKT)
gpkg       application/geopackage+sqlite3              file        any
shp.zip    application/zip                             file        any (zip of .shp .shx .dbf
                                                                   .prj .cpg; 10-char fields)
kml        application/vnd.google-earth.kml+xml        file        WGS 84 only (OGC KML 2.2)
=========  ==========================================  ==========  ===========================

"Streamed" formats are written as they are read from the database, so they go out while they
are being made; "file" formats are written to a temporary file by GDAL, then sent.

CSV is UTF-8 **with** a byte order mark: Excel, which planners in Vietnam open CSVs with,
reads a file without it in the local ANSI code page and garbles Vietnamese names. Other
programs (QGIS, pandas, GDAL) skip the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pyproj import CRS

from gis.crs import STORAGE_EPSG, crs_label, parse_crs, transformer
from gis.errors import CRSError, invalid


class FormatName(StrEnum):
    """An export format, by the extension its file takes."""

    GEOJSON = "geojson"
    GPKG = "gpkg"
    SHP_ZIP = "shp.zip"
    KML = "kml"
    CSV = "csv"


@dataclass(frozen=True)
class ExportFormat:
    """How one format is written and served."""

    name: FormatName
    media_type: str
    #: The output is written as it is read (else: to a temporary file, then sent).
    streamed: bool
    #: The format's specification fixes the CRS to WGS 84 longitude/latitude (EPSG:4326).
    wgs84_only: bool
    #: GDAL driver writing it (None: written here).
    driver: str | None = None

    @property
    def extension(self) -> str:
        """``.geojson``, ``.shp.zip`` ..."""
        return f".{self.name.value}"


FORMATS: dict[FormatName, ExportFormat] = {
    f.name: f for f in (
        ExportFormat(FormatName.GEOJSON, "application/geo+json", streamed=True, wgs84_only=True),
        ExportFormat(FormatName.CSV, "text/csv; charset=utf-8", streamed=True, wgs84_only=False),
        ExportFormat(FormatName.GPKG, "application/geopackage+sqlite3", streamed=False,
                     wgs84_only=False, driver="GPKG"),
        ExportFormat(FormatName.SHP_ZIP, "application/zip", streamed=False, wgs84_only=False,
                     driver="ESRI Shapefile"),
        ExportFormat(FormatName.KML, "application/vnd.google-earth.kml+xml", streamed=False,
                     wgs84_only=True, driver="KML"),
    )
}


def get_format(name: str) -> ExportFormat:
    """The format called ``name`` (``geojson``, ``gpkg``, ``shp.zip``, ``kml``, ``csv``; any
    case); ValidationFailed on the field ``format`` otherwise."""
    try:
        return FORMATS[FormatName(name.strip().lower())]
    except ValueError:
        known = ", ".join(f.value for f in FormatName)
        raise invalid("format", f"unknown format {name!r}; formats: {known}") from None


def format_of_path(file_name: str) -> ExportFormat:
    """The format a file name's extension says (``segments.shp.zip`` -> shp.zip);
    ValidationFailed on the field ``format`` when it says none."""
    lowered = file_name.lower()
    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
        if lowered.endswith(fmt.extension):
            return fmt
    known = ", ".join(f.extension for f in FORMATS.values())
    raise invalid("format", f"cannot tell the format of {file_name!r} from its extension "
                            f"({known}); give the format")


def output_crs(fmt: ExportFormat, requested: str | None) -> CRS:
    """The CRS to write ``fmt`` in: ``requested`` (an EPSG code such as ``EPSG:9209``, see
    :func:`gis.crs.parse_crs`) or WGS 84 (EPSG:4326) when None. ValidationFailed on the field
    ``crs`` for an unknown CRS, or for another CRS than WGS 84 in GeoJSON or KML."""
    wgs84 = CRS.from_epsg(STORAGE_EPSG)
    if requested is None or not requested.strip():
        return wgs84
    try:
        crs = parse_crs(requested)
        if fmt.wgs84_only and crs.to_epsg() != STORAGE_EPSG:
            raise invalid("crs", f"{fmt.name.value} is WGS 84 longitude/latitude (EPSG:4326) by "
                                 f"its specification; {crs_label(crs)} cannot be asked for (use "
                                 "gpkg, shp.zip or csv for another CRS)")
        transformer(wgs84, crs)  # PROJ must know a datum transformation (not a ballpark one)
    except CRSError as exc:
        raise invalid("crs", str(exc)) from None
    return crs


def export_filename(fmt: ExportFormat, as_of: date, stem: str = "segments") -> str:
    """``segments-2026-11-27.geojson``: the layer, the date the data describes, the extension."""
    return f"{stem}-{as_of.isoformat()}{fmt.extension}"
