"""`telecom-gis checklist load|show`: the checklist catalogue (versions of checklist items).

Exit codes: 0 done; 2 a problem with the input (unreadable or invalid file, a version code
already loaded with other content, unknown version; nothing written); 1 the database refused;
3 no database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gis.choices import Placement, Severity, label
from gis.cli.common import actor, cli_transaction, console, fail, get_engine
from gis.compliance.catalogue import load_catalogue
from gis.compliance.checklist_queries import get_version, list_versions
from gis.compliance.rules import local_today
from gis.db import transaction
from gis.errors import NotFoundError

app = typer.Typer(help="The checklist catalogue: load versions, show items.",
                  no_args_is_help=True)


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="Catalogue TOML (see the bundled qcvn33_2019.toml).",
                                         dir_okay=False)],
) -> None:
    """Load FILE as a new catalogue version (loading the same file again does nothing)."""
    with cli_transaction({}, actor=actor()) as session:
        version, created = load_catalogue(session, file)
        summary = (version.code, version.effective_from, len(version.items))
    code, effective_from, items = summary
    if created:
        console.print(escape(f"loaded checklist {code}: {items} items, in force from "
                             f"{effective_from}"), highlight=False)
    else:
        console.print(escape(f"checklist {code} is already loaded with this content "
                             "(nothing to do)"), highlight=False)


def _limit(item) -> str:
    if item.limit_kind is None:
        return item.measure_unit or ""
    sign = "≤" if item.limit_kind == "max" else "≥"
    flag = "" if item.limit_sourced else " *"
    return f"{sign} {item.limit_value:g} {item.measure_unit}{flag}"


@app.command()
def show(
    code: Annotated[str | None, typer.Argument(help="A version code; default: list them.")] = None,
) -> None:
    """List the catalogue versions, or show the items of version CODE (* = a local value, not
    fixed by a cited source)."""
    engine = get_engine()
    try:
        with transaction(engine) as session:
            if code is None:
                table = Table("code", "title", "in force from", "items", "in force today",
                              title="Checklist versions")
                for s in list_versions(session, local_today()):
                    table.add_row(escape(s.version.code), escape(s.version.title),
                                  str(s.version.effective_from), str(s.items),
                                  "yes" if s.in_force else "")
            else:
                version = get_version(session, code)
                table = Table("code", "check (vi / en)", "clause", "severity", "placements",
                              "fix within", "limit", title=escape(
                                  f"{version.code}: {version.title} (from "
                                  f"{version.effective_from})"))
                for item in version.items:
                    days = f"{item.remediation_days} d" + (
                        "" if item.remediation_days_sourced else " *")
                    table.add_row(
                        item.code, escape(f"{item.text_vi}\n{item.text_en}"), escape(item.clause),
                        label(Severity(item.severity), "en"),
                        ", ".join(label(Placement(p), "en") for p in item.placements),
                        days, escape(_limit(item)))
    except NotFoundError as exc:
        fail(escape(str(exc)), code=2)
    finally:
        engine.dispose()
    console.print(table)
