"""`telecom-gis sample generate|load`: the synthetic demo network (SYNTHETIC data only)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.cli.common import actor, console, fail, get_engine, progress_bar
from gis.errors import GisError, ValidationFailed
from gis.sample import (
    DEFAULT_SEED,
    DEFAULT_SEGMENTS,
    SYNTHETIC_NOTICE,
    demo_directory,
)

app = typer.Typer(help="Generate and load the synthetic demo province.", no_args_is_help=True)


class FileFormat(StrEnum):
    """Format of the two large layers (segments, structures)."""

    GEOJSON = "geojson"
    GPKG = "gpkg"


class AreaChoice(StrEnum):
    """Where the network is spread."""

    CITY = "city"
    PROVINCE = "province"


@app.command()
def generate(
    segments: Annotated[int, typer.Option(
        "--segments", "-n", min=1, help="Number of cable segments (spans).")] = DEFAULT_SEGMENTS,
    seed: Annotated[int, typer.Option(
        "--seed", help="Random seed (same seed, same files).")] = DEFAULT_SEED,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", file_okay=False,
        help="Output directory. Default: the committed demo (sample_data/thai_binh_demo), "
             "only for the default segments, seed and area.")] = None,
    fmt: Annotated[FileFormat | None, typer.Option(
        "--format", help="segments/structures format [default: geojson up to 50,000 "
                         "segments, else gpkg].")] = None,
    area: Annotated[AreaChoice | None, typer.Option(
        "--area", help="city (lon 106.29-106.40, lat 20.40-20.50) or province (approx. lon "
                       "106.0-106.65, lat 20.25-20.70) [default: city up to 50,000 segments, "
                       "else province].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write a SYNTHETIC cable network (streets, segments, poles, history, plans) as files."""
    from gis.sample.generate import default_area, generate_sample

    chosen_area = area.value if area else default_area(segments)
    if out is None:
        if (segments, seed, chosen_area) != (DEFAULT_SEGMENTS, DEFAULT_SEED, "city"):
            fail("--out DIR is required unless generating the default demo "
                 "(so the committed sample_data/thai_binh_demo is not overwritten)")
        out = demo_directory()
        if not out.parent.is_dir():
            fail(f"{out.parent} does not exist (not a source checkout); give --out DIR")
    with progress_bar(not quiet) as progress:
        result = generate_sample(out, segments=segments, seed=seed, area=chosen_area,
                                 fmt=fmt.value if fmt else None, progress=progress)
    table = Table(title=f"{result.directory}  (seed {result.seed}, area {result.area})")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    for label, km in result.km.items():
        console.print(f"  km {label:<28}{km:>12,.3f}")
    console.print(f"generated in {result.seconds:.1f} s. [bold yellow]{SYNTHETIC_NOTICE}[/]")


@app.command()
def load(
    directory: Annotated[Path | None, typer.Argument(
        help="Sample directory [default: the committed sample_data/thai_binh_demo].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Load a sample directory into the configured database (running it twice adds nothing)."""
    from gis.db import transaction
    from gis.sample.load import load_sample, loaded_figures, sample_source

    directory = directory or demo_directory()
    if not directory.is_dir():
        fail(f"sample directory {directory} not found; give its path, or regenerate the demo "
             "with `telecom-gis sample generate` from a source checkout")
    engine = get_engine()
    try:
        with progress_bar(not quiet) as progress, transaction(engine, actor=actor()) as session:
            counts = load_sample(session, directory, progress)
            figures = loaded_figures(session, sample_source(directory))
    except ValidationFailed as exc:
        shown = "; ".join(f"row {p.row} {p.field}: {p.reason}" for p in exc.problems[:5])
        fail(f"{exc} ({shown})")
    except GisError as exc:
        fail(str(exc))
    table = Table(title=f"loaded {directory} (source {sample_source(directory)})")
    for column in ("item", "read", "added", "updated", "removed"):
        table.add_column(column, justify="left" if column == "item" else "right")
    for item, c in counts.items():
        table.add_row(item, *(f"{c[k]:,}" for k in ("read", "added", "updated", "removed")))
    console.print(table)
    console.print(
        f"{figures['segments']:,} segments of this sample in the database, "
        f"{figures['with_commune']:,} in a commune, {figures['with_structures']:,} linked to "
        f"both end structures; today {figures['overhead_km']:,.1f} km overhead and "
        f"{figures['underground_km']:,.1f} km underground in service.")
    console.print(f"[bold yellow]{SYNTHETIC_NOTICE}[/]")
