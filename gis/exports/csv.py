"""CSV export: one row per segment, the properties then ``geometry`` as WKT, streamed.

* UTF-8 **with** a byte order mark, CRLF line ends (RFC 4180): Excel, which planners open
  CSVs with, reads a file without the mark in the local ANSI code page and garbles
  Vietnamese names; QGIS, pandas and GDAL skip the mark.
* Header ``id,route,...,compliance,geometry``; text quoted where needed, booleans
  ``true``/``false``, dates ``YYYY-MM-DD``, ``length_m`` geodesic metres, empty for no value.
* ``geometry``: WKT ``LINESTRING (x y, ...)`` in the output CRS (x = longitude or easting),
  with 7 decimals in degrees or 3 in metres. QGIS reads it as a delimited-text layer (give
  the CRS), GDAL with ``-oo GEOM_POSSIBLE_NAMES=geometry``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely
from pyproj import CRS

from gis.exports.batches import SCHEMA, coordinate_decimals

BOM = b"\xef\xbb\xbf"

#: The columns of the CSV: those of a batch, with the geometry as WKT text.
CSV_SCHEMA = pa.schema([field if field.name != "geometry" else pa.field("geometry", pa.string())
                        for field in SCHEMA])


def csv_chunks(batches: Iterable[pa.RecordBatch], crs: CRS) -> Iterator[bytes]:
    """The CSV text of ``batches`` (:data:`gis.exports.batches.SCHEMA`, geometry WKB in
    ``crs``) as UTF-8 chunks, one per batch; the first starts with the mark and the header."""
    decimals = coordinate_decimals(crs)
    yield BOM
    header = True
    for batch in batches:
        wkb = batch.column("geometry").to_numpy(zero_copy_only=False)
        wkt = shapely.to_wkt(shapely.from_wkb(wkb), rounding_precision=decimals, trim=True)
        yield _text(batch.drop_columns(["geometry"]).append_column("geometry", pa.array(wkt)),
                    header)
        header = False
    if header:  # no rows: the header alone
        yield _text(pa.RecordBatch.from_pylist([], schema=CSV_SCHEMA), header)


def _text(rows: pa.RecordBatch, header: bool) -> bytes:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(rows, sink, pa_csv.WriteOptions(include_header=header,
                                                     quoting_style="needed", eol="\r\n"))
    return sink.getvalue().to_pybytes()
