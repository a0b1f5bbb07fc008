"""Streaming rows into PostgreSQL with COPY: CSV written by Arrow, sent while the next is built.

Columns are Arrow arrays (strings, integers, booleans, dates; geometry as hex EWKB text, which
PostGIS reads in CSV). Arrow's CSV writer is C++ and writes a chunk of 100,000 rows in a few
tens of milliseconds; psycopg's queued writer sends each chunk from its own thread, so
PostgreSQL parses and inserts one chunk while Python encodes the next (two cores).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import shapely
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.orm import Session

from gis.progress import ProgressFn

#: Rows per COPY chunk (one progress step each).
COPY_CHUNK = 100_000

_CSV = pa_csv.WriteOptions(include_header=False, quoting_style="needed")

# Little-endian WKB head of a 2D LineString, and the same with the EWKB "has SRID" flag.
_LINESTRING_WKB = "01" + (2).to_bytes(4, "little").hex()
_LINESTRING_EWKB = "01" + (0x20000002).to_bytes(4, "little").hex()


def hex_ewkb(geoms: np.ndarray, srid: int) -> pa.Array:
    """Hex EWKB text (with ``srid``) of a shapely array, as an Arrow string array.

    The whole WKB buffer is hex-encoded at once and cut at the WKB offsets; 2D LineStrings (all
    rows once validated) get the SRID spliced in after their type, anything else goes through
    shapely's EWKB writer.
    """
    wkb = pa.array(shapely.to_wkb(geoms, byte_order=1), pa.large_binary())
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[: len(wkb) + 1]
    data = wkb.buffers()[2].to_pybytes()[: offsets[-1]].hex().encode("ascii")
    plain = pa.Array.from_buffers(
        pa.large_string(), len(wkb), [None, pa.py_buffer(offsets * 2), pa.py_buffer(data)]
    )
    if not pc.all(pc.starts_with(plain, _LINESTRING_WKB)).as_py():
        ewkb = shapely.to_wkb(shapely.set_srid(geoms, srid), byte_order=1, include_srid=True)
        return pa.array([w.hex() for w in ewkb], pa.string())
    head = _LINESTRING_EWKB + srid.to_bytes(4, "little").hex()
    return pc.binary_join_element_wise(
        pa.scalar(head, pa.large_string()),
        pc.utf8_slice_codeunits(plain, len(_LINESTRING_WKB)),
        pa.scalar("", pa.large_string()),
    )


def copy_table(
    session: Session,
    table: str,
    columns: pa.Table,
    progress: ProgressFn,
    stage: str = "writing",
) -> None:
    """COPY ``columns`` (Arrow table; names = the target table's columns) into ``table``."""
    total = columns.num_rows
    names = ", ".join(columns.column_names)
    cursor = session.connection().connection.driver_connection.cursor()
    progress(stage, 0, total)
    statement = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)"
    with cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, total, COPY_CHUNK):
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(columns.slice(start, COPY_CHUNK), sink, _CSV)
            copy.write(sink.getvalue())
            progress(stage, min(start + COPY_CHUNK, total), total)


def arrow_columns(values: dict[str, tuple[Sequence | np.ndarray, pa.DataType]]) -> pa.Table:
    """An Arrow table from ``{name: (values, type)}``; None values become NULL."""
    return pa.table(
        {
            name: data if isinstance(data, pa.Array) else pa.array(data, type_, from_pandas=True)
            for name, (data, type_) in values.items()
        }
    )
