"""What an export will write: its format, output CRS and segments, checked before any byte is
written (so bad input is refused while an HTTP answer can still say which field is wrong)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyproj import CRS
from sqlalchemy.orm import Session

from gis.exports.formats import ExportFormat, export_filename, get_format, output_crs
from gis.exports.query import ExportQuery, count_rows, export_query
from gis.queries.segments import SegmentFilter


@dataclass(frozen=True)
class ExportPlan:
    """A checked export: ``fmt``, the output ``crs`` and the ``query`` of its segments."""

    fmt: ExportFormat
    crs: CRS
    query: ExportQuery

    @property
    def as_of(self) -> date:
        """The date the segments' states and compliance are taken on."""
        return self.query.as_of

    @property
    def filename(self) -> str:
        """The file name to offer, e.g. ``segments-2026-11-27.geojson`` (the ``as_of`` date)."""
        return export_filename(self.fmt, self.as_of)

    def count(self, session: Session) -> int:
        """How many segments the export holds."""
        return count_rows(session, self.query)


def plan_export(
    session: Session,
    flt: SegmentFilter,
    *,
    fmt: ExportFormat | str,
    as_of: date | None = None,
    crs: str | None = None,
    stale_after_days: int,
) -> ExportPlan:
    """Check an export of the segments passing ``flt`` on ``as_of`` (default: the local date)
    in the format ``fmt`` and the CRS ``crs`` (an EPSG code; default WGS 84, EPSG:4326).

    Raises ValidationFailed naming the field: ``format`` (unknown), ``crs`` (unknown, without a
    datum transformation from WGS 84, or not WGS 84 for GeoJSON and KML), ``operator``,
    ``route``, ``commune`` (unknown code) or ``as_of`` (in the future).
    """
    fmt = fmt if isinstance(fmt, ExportFormat) else get_format(fmt)
    out_crs = output_crs(fmt, crs)
    query = export_query(session, flt, as_of=as_of, stale_after_days=stale_after_days)
    return ExportPlan(fmt, out_crs, query)
