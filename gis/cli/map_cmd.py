"""`telecom-gis map progress|compliance`: the progress and compliance maps as standalone HTML.

The file carries every script and style sheet inline (no CDN, no ``/static`` link), so it opens
from disk on a machine with no network; the base map tiles come from ``TELECOM_GIS_TILE_URL``
(empty: no base map; the network and the commune outlines draw either way).

Exit codes: 0 written; 2 bad input (future date, unknown operator or commune), nothing written;
1 the database refused; 3 no database.

The maps are built by the ``maps`` package, which sits above ``gis``: like ``serve`` names
``api.main`` by string, this command loads ``maps.progress`` / ``maps.compliance_map`` by name,
so that no module of ``gis`` imports ``maps``.
"""

from __future__ import annotations

import importlib
import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gis.cli.common import cli_transaction, console
from gis.settings import get_settings

app = typer.Typer(help="Progress and compliance maps as standalone HTML files.",
                  no_args_is_help=True)

#: Builder of each map: (module, function) in the ``maps`` package.
BUILDERS = {
    "progress": ("maps.progress", "build_progress_map"),
    "compliance": ("maps.compliance_map", "build_compliance_map"),
}
#: Option names shown in messages, by the filter's field names.
OPTIONS = {"as_of": "--as-of", "operator": "--operator", "commune": "--commune"}


class Lang(StrEnum):
    """Language of the map's labels."""

    VI = "vi"
    EN = "en"


OutOption = Annotated[Path, typer.Option(
    "--out", "-o", dir_okay=False, metavar="FILE.html",
    help="The HTML file to write (standalone, works offline).")]
AsOfOption = Annotated[datetime | None, typer.Option(
    "--as-of", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
    help="The date the map shows, YYYY-MM-DD (default: today, Vietnam time).")]
OperatorOption = Annotated[list[str] | None, typer.Option(
    "--operator", metavar="CODE", help="Operator code; repeat for several (default: all).")]
CommuneOption = Annotated[str | None, typer.Option(
    "--commune", metavar="CODE",
    help="Commune code, its version in force on the date (default: all).")]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of the labels.")]


def _write_map(kind: str, out: Path, as_of: datetime | None, operators: list[str] | None,
               commune: str | None, lang: Lang) -> None:
    """Build the map ``kind`` in one read-only transaction and write it to ``out``."""
    from gis.queries.map_data import MapFilter

    module_name, function = BUILDERS[kind]
    build = getattr(importlib.import_module(module_name), function)
    flt = MapFilter(as_of=as_of.date() if as_of else None, operators=tuple(operators or ()),
                    commune=commune)
    settings = get_settings()
    started = time.perf_counter()
    with cli_transaction(OPTIONS) as session:
        page = build(session, flt, settings=settings, lang=lang.value)
        html = page.render("inline")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    seconds = time.perf_counter() - started
    figures = page.figures
    console.print(escape(
        f"wrote {out} ({out.stat().st_size / 2**20:.2f} MiB, {figures['segments']:,} segments, "
        f"{figures['communes']} communes, as of {figures['as_of']}) in {seconds:.1f} s"),
        highlight=False)


@app.command()
def progress(out: OutOption, as_of: AsOfOption = None, operator: OperatorOption = None,
             commune: CommuneOption = None, lang: LangOption = Lang.VI) -> None:
    """Placement map (overhead / tidied / underground, by operator) with the commune
    choropleth of the underground share and the plan targets (a layer to switch on)."""
    _write_map("progress", out, as_of, operator, commune, lang)


@app.command()
def compliance(out: OutOption, as_of: AsOfOption = None, operator: OperatorOption = None,
               commune: CommuneOption = None, lang: LangOption = Lang.VI) -> None:
    """Compliance map: segments by compliance state, open violations clustered, overdue ones
    in their own layer."""
    _write_map("compliance", out, as_of, operator, commune, lang)
