"""Run a checked export (:class:`~gis.exports.plan.ExportPlan`): stream it, or write it to a
file. Reads happen in the caller's session and transaction, which decides what the caller may
see (an operator's user: its own segments, by row-level security).

The Arrow and GDAL writers are imported when a format needs them: a GeoJSON export then runs
without loading GDAL (about 100 MB less resident memory)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from gis.exports.formats import FormatName
from gis.exports.geojson import geojson_chunks
from gis.exports.plan import ExportPlan
from gis.progress import ProgressFn, no_progress


def stream_export(
    session: Session, plan: ExportPlan, *, progress: ProgressFn = no_progress,
    total: int | None = None,
) -> Iterator[bytes]:
    """The bytes of a streamed format (GeoJSON, CSV) as they are made, chunk by chunk, in
    constant memory; ``progress("writing", rows done, total)`` as they go."""
    if plan.fmt.name is FormatName.GEOJSON:
        return geojson_chunks(session, plan.query, progress=progress, total=total)
    if plan.fmt.name is FormatName.CSV:
        from gis.exports.batches import record_batches
        from gis.exports.csv import csv_chunks

        batches = record_batches(session, plan.query, plan.crs, progress=progress, total=total)
        return csv_chunks(batches, plan.crs)
    raise ValueError(f"{plan.fmt.name.value} is written to a file, not streamed")


def write_export(
    session: Session, plan: ExportPlan, path: Path | str, *,
    progress: ProgressFn = no_progress, total: int | None = None,
) -> Path:
    """Write the export to ``path`` (replaced only once complete: it is written beside it
    first, so a failed export leaves no half file); returns ``path``."""
    path = Path(path)
    ext = plan.fmt.extension
    stem = path.name[:-len(ext)] if path.name.lower().endswith(ext) else path.name
    partial = path.with_name(f"{stem}.partial{ext}")
    try:
        if plan.fmt.streamed:
            with partial.open("wb") as out:
                for chunk in stream_export(session, plan, progress=progress, total=total):
                    out.write(chunk)
        else:
            from gis.exports.batches import record_batches
            from gis.exports.ogr import write_ogr

            batches = record_batches(session, plan.query, plan.crs, progress=progress,
                                     total=total)
            write_ogr(batches, partial, plan.fmt, plan.crs)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
