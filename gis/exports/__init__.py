"""Planning exports of the cable segments: GeoJSON (RFC 7946, streamed), CSV (streamed),
GeoPackage, zipped Shapefile and KML, with the filters of ``GET /segments`` and a date.

Use :func:`plan_export` (checks everything, before any byte is written), then
:func:`stream_export` (GeoJSON, CSV) or :func:`write_export` (any format, to a file).
Memory stays bounded whatever the size: rows come from PostgreSQL as they are written.
:mod:`gis.exports.rfc7946` checks any GeoJSON file against RFC 7946.
"""

from gis.exports.formats import FORMATS, ExportFormat, FormatName, format_of_path, get_format
from gis.exports.plan import ExportPlan, plan_export
from gis.exports.write import stream_export, write_export

__all__ = [
    "FORMATS",
    "ExportFormat",
    "ExportPlan",
    "FormatName",
    "format_of_path",
    "get_format",
    "plan_export",
    "stream_export",
    "write_export",
]
