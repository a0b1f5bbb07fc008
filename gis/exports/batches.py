"""The export's rows as Arrow record batches, for the writers of GPKG, SHP, KML and CSV.

Each batch has the columns ``id`` then :data:`gis.exports.query.PROPERTY_NAMES` (typed: text,
booleans, ``state_since`` a date, ``length_m`` geodesic metres) and ``geometry``: WKB in the
output CRS. Geometry is read from PostgreSQL in EPSG:4326 and, for another CRS, transformed
with :func:`gis.crs.transform` (the PROJ pipeline the importers use, e.g. EPSG:6960 for
VN-2000: PostGIS's own ``spatial_ref_sys`` lacks the provincial zones such as EPSG:9209).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS
from sqlalchemy.orm import Session

from gis.crs import STORAGE_EPSG, same_crs, transform
from gis.exports.query import PROPERTY_NAMES, ExportQuery, stream_rows
from gis.progress import ProgressFn, no_progress

#: Rows per batch: memory holds about 3 MB of rows, and GDAL is called 200 times per million.
BATCH_ROWS = 5_000

_TYPES = {"tidied": pa.bool_(), "state_since": pa.date32(), "length_m": pa.float64()}

#: The columns of a batch, geometry last (WKB).
SCHEMA = pa.schema(
    [pa.field("id", pa.int64(), nullable=False)]
    + [pa.field(name, _TYPES.get(name, pa.string())) for name in PROPERTY_NAMES]
    + [pa.field("geometry", pa.binary())]
)


def record_batches(
    session: Session, query: ExportQuery, crs: CRS, *, batch_rows: int = BATCH_ROWS,
    progress: ProgressFn = no_progress, total: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``query`` as :data:`SCHEMA` batches of at most ``batch_rows`` rows, with
    geometry in ``crs``; ``progress("writing", done, total)`` after each batch is taken."""
    rows = stream_rows(session, query.columns_sql(), query.params, binary=True)
    wgs84 = CRS.from_epsg(STORAGE_EPSG)
    reproject = not same_crs(crs, wgs84)
    done = 0
    while columns := _columns(rows, batch_rows):
        geometry = columns[-1]
        if reproject:
            geoms = shapely.from_wkb(np.asarray(geometry, dtype=object))
            geometry = shapely.to_wkb(transform(geoms, wgs84, crs))
        arrays = [pa.array(values, type=field.type)
                  for values, field in zip(columns[:-1], SCHEMA, strict=False)]
        arrays.append(pa.array(geometry, type=pa.binary()))
        done += len(columns[0])
        yield pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)
        progress("writing", done, total)
    if not done:
        progress("writing", 0, total)


def _columns(rows: Iterator[tuple], count: int) -> list[list]:
    """The next ``count`` rows (fewer at the end; [] when none are left) as columns.

    Rows are moved into the columns a few hundred at a time and dropped: holding tens of
    thousands of row tuples makes Python's cyclic garbage collector walk them again and again
    (it doubled the time of a 1,000,000-segment export); columns of plain values it skips."""
    columns: list[list] = []
    while count > 0 and (piece := list(islice(rows, min(count, 256)))):
        if not columns:
            columns = [[] for _ in piece[0]]
        for column, values in zip(columns, zip(*piece, strict=True), strict=True):
            column.extend(values)
        count -= len(piece)
    return columns


def coordinate_decimals(crs: CRS) -> int:
    """Decimals that keep coordinates to about a centimetre or finer: 7 for degrees, 3 for
    metres."""
    return 7 if crs.is_geographic else 3
