"""GeoJSON export (RFC 7946): a FeatureCollection of the features PostgreSQL writes, streamed.

The document is ``{"type":"FeatureCollection","features":[`` then one Feature per line,
then ``]}``: WGS 84 longitude/latitude with 7 decimals (about 1 cm), no ``crs`` member, UTF-8
without a byte order mark. Each Feature is the one ``GET /segments`` returns for the segment
(same properties, same compliance state). One feature per line keeps the file valid JSON and
lets line tools (``head``, ``grep``, ``wc -l``) work on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy.orm import Session

from gis.exports.query import ExportQuery, stream_rows
from gis.progress import ProgressFn, no_progress

HEAD = b'{"type":"FeatureCollection","features":[\n'
TAIL = b"\n]}\n"
#: Features per chunk: about 2 MB of text for the demo's segments.
BATCH_ROWS = 5000


def collection_chunks(
    features: Iterable[str], *, batch_rows: int = BATCH_ROWS,
    progress: ProgressFn = no_progress, total: int | None = None,
) -> Iterator[bytes]:
    """The FeatureCollection around ``features`` (Feature texts), as UTF-8 chunks of
    ``batch_rows`` features each (the first chunk starts with the head, the last ends with the
    tail). Only one chunk's features are held at a time. ``progress("writing", done, total)``
    is called after each chunk."""
    done = 0
    yield HEAD
    batch: list[str] = []
    for feature in features:
        batch.append(feature)
        if len(batch) == batch_rows:
            yield (",\n" if done else "").encode() + ",\n".join(batch).encode()
            done += len(batch)
            batch = []
            progress("writing", done, total)
    if batch:
        yield (",\n" if done else "").encode() + ",\n".join(batch).encode()
        done += len(batch)
    progress("writing", done, total)
    yield TAIL


def geojson_chunks(
    session: Session, query: ExportQuery, *, batch_rows: int = BATCH_ROWS,
    progress: ProgressFn = no_progress, total: int | None = None,
) -> Iterator[bytes]:
    """The GeoJSON export of ``query`` as UTF-8 chunks, read from the database while they are
    written (see :mod:`gis.exports.query`); memory holds one chunk."""
    rows = stream_rows(session, query.features_sql(), query.params)
    features = (row[0] for row in rows)
    yield from collection_chunks(features, batch_rows=batch_rows, progress=progress, total=total)
