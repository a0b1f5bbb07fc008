"""`telecom-gis export segments|check`: planning exports of the network, and an RFC 7946
check of any GeoJSON file.

``export segments --out FILE`` writes the segments that pass the filters of ``GET /segments``
on a date, in the format the file's extension names (or ``--format``): GeoJSON, CSV, GPKG,
SHP (``.shp.zip``) or KML, in WGS 84 or, for GPKG, SHP and CSV, in ``--crs``. It counts the
segments first, then draws the rows written. The file appears only once complete.

Exit codes: 0 done (``check``: the file conforms); 2 bad input (an option, an unknown code, a
file that breaks RFC 7946); 1 the database refused; 3 no database.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from gis.choices import ComplianceState, Lifecycle, Placement
from gis.cli.common import console, err_console, fail, get_engine, progress_bar
from gis.crs import crs_label
from gis.errors import GisError, ValidationFailed
from gis.exports.formats import FormatName

app = typer.Typer(help="Export the network for planners (GeoJSON, CSV, GPKG, SHP, KML).",
                  no_args_is_help=True)

#: Option names shown in messages, by the domain's field names.
OPTIONS = {"format": "--format", "crs": "--crs", "as_of": "--as-of", "operator": "--operator",
           "route": "--route", "commune": "--commune", "bbox": "--bbox"}

#: Problems of ``check`` shown on screen.
SHOWN_PROBLEMS = 20


def register(parent: typer.Typer) -> None:
    """Add the ``export`` command group to ``parent``."""
    parent.add_typer(app, name="export")


@app.command("segments")
def export_segments(
    out: Annotated[Path, typer.Option(
        "--out", "-o", dir_okay=False,
        help="File to write; its extension names the format (.geojson, .csv, .gpkg, "
             ".shp.zip, .kml) unless --format is given.")],
    fmt: Annotated[FormatName | None, typer.Option(
        "--format", "-f", help="Output format [default: from the --out extension].")] = None,
    crs: Annotated[str | None, typer.Option(
        "--crs", help="Output CRS as an EPSG code, e.g. EPSG:9209 (VN-2000 / TM-3 105-30) for "
                      "gpkg, shp.zip, csv [default: EPSG:4326; GeoJSON and KML are always "
                      "WGS 84].")] = None,
    as_of: Annotated[datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"],
        help="Date the states and compliance are taken on (YYYY-MM-DD) [default: today].")]
    = None,
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="Only segments crossing minLon,minLat,maxLon,maxLat (EPSG:4326).")]
    = None,
    operator: Annotated[list[str] | None, typer.Option(
        "--operator", help="Operator code; repeat for several.")] = None,
    route: Annotated[str | None, typer.Option("--route", help="Route code.")] = None,
    commune: Annotated[str | None, typer.Option(
        "--commune", help="Commune code (any version of it).")] = None,
    placement: Annotated[Placement | None, typer.Option("--placement")] = None,
    tidied: Annotated[bool | None, typer.Option(
        "--tidied/--untidied", help="Only tidied (or untidied) cable.")] = None,
    lifecycle: Annotated[Lifecycle | None, typer.Option("--lifecycle")] = None,
    compliance: Annotated[ComplianceState | None, typer.Option("--compliance")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Export the segments passing the filters (those of GET /segments) on a date."""
    from gis.db import transaction
    from gis.exports import format_of_path, plan_export, write_export
    from gis.queries.common import BBox
    from gis.queries.segments import SegmentFilter
    from gis.settings import get_settings

    try:
        chosen = fmt.value if fmt else format_of_path(out.name)
        box = BBox.parse(bbox) if bbox else None
    except ValueError as exc:
        fail(escape(f"--bbox: {exc}"), code=2)
    except ValidationFailed as exc:
        _fail_invalid(exc)
    if not out.parent.is_dir():
        fail(escape(f"--out: the directory {out.parent} does not exist"), code=2)
    flt = SegmentFilter(bbox=box, operators=tuple(operator or ()), route=route, commune=commune,
                        placement=placement, tidied=tidied, lifecycle=lifecycle,
                        compliance=compliance)
    engine = get_engine()
    started = time.perf_counter()
    try:
        with transaction(engine) as session, progress_bar(not quiet) as progress:
            plan = plan_export(session, flt, fmt=chosen, crs=crs,
                               as_of=as_of.date() if as_of else None,
                               stale_after_days=get_settings().stale_after_days)
            progress("counting segments", 0, None)
            total = plan.count(session)
            progress("counting segments", total, total)
            write_export(session, plan, out, progress=progress, total=total)
    except ValidationFailed as exc:
        _fail_invalid(exc)
    except GisError as exc:
        fail(escape(str(exc)), code=2)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        fail(escape(f"the database refused the export: {first[0] if first else exc}"))
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    size_mib = out.stat().st_size / 2**20
    console.print(escape(
        f"wrote {total:,} segments to {out} ({plan.fmt.name.value}, {crs_label(plan.crs)}, "
        f"as of {plan.as_of}): {size_mib:,.1f} MiB in {seconds:.1f} s"), highlight=False,
        soft_wrap=True)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A GeoJSON file.")],
    max_decimals: Annotated[int, typer.Option(
        "--max-decimals", min=0, help="Most decimals a coordinate may have.")] = 7,
) -> None:
    """Check a GeoJSON file against RFC 7946 (structure, no crs, lon/lat ranges, decimals,
    bbox, ids). Reads the whole file: meant for samples and test-sized files."""
    from gis.exports.rfc7946 import check_file

    problems = check_file(file, max_decimals=max_decimals)
    if not problems:
        console.print(escape(f"{file}: conforms to RFC 7946"), highlight=False, soft_wrap=True)
        return
    for problem in problems[:SHOWN_PROBLEMS]:
        err_console.print(escape(str(problem)), highlight=False, soft_wrap=True)
    more = len(problems) - SHOWN_PROBLEMS
    fail(escape(f"{file} breaks RFC 7946 in {len(problems):,} places"
                + (f" ({more:,} not shown)" if more > 0 else "")), code=2)


def _fail_invalid(exc: ValidationFailed) -> None:
    issues = [f"{OPTIONS.get(getattr(p, 'field', ''), getattr(p, 'field', ''))}: "
              f"{getattr(p, 'reason', p)}" for p in exc.problems]
    fail(escape("; ".join(issues) or str(exc)), code=2)

