"""Benchmark: generate a synthetic network and import it into a fresh PostGIS database.

    .venv/bin/python bench/run.py [--segments 1000000] [--seed N]

Measures (wall-clock seconds, segments per second, peak resident memory in MiB):
1. generating the network files (GeoPackage above 50,000 segments);
2. the first import of segments.gpkg (all rows inserted, one transaction, committed);
3. a re-import of the same file (all rows unchanged: the idempotent path);
4. with ``--ogr2ogr``, ``ogr2ogr -f PostgreSQL`` of the same file into another fresh database,
   for reference (a new table, COPY, GiST index).
Each database is created from the PostGIS template and dropped afterwards. Results are printed
and written to bench/out/results-<segments>.json. Timings are for this machine only; compare
runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gis.db import make_engine, normalise_url, transaction
from gis.importers import ImportOptions, import_segments
from gis.migrate import upgrade
from gis.models import Operator
from gis.sample import DEFAULT_SEED
from gis.sample.generate import generate_sample
from gis.settings import get_settings

OUT = Path(__file__).resolve().parent / "out"


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_database() -> tuple[str, callable]:
    """Create a migrated throwaway database; return its URL and a function that drops it."""
    server = make_url(normalise_url(get_settings().database_url))
    admin = make_engine(server.set(database="postgres").render_as_string(False),
                        isolation_level="AUTOCOMMIT")
    name = f"telecom_gis_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE telecom_gis_template'))
    url = server.set(database=name).render_as_string(False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()

    def drop() -> None:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # noqa: BLE001 - the results matter more than the clean-up
            print(f"warning: could not drop {name}: {str(exc).splitlines()[0]}", file=sys.stderr)
        admin.dispose()

    return url, drop


def load_operators(url: str, data: Path) -> None:
    """Add the operators of the sample directory ``data`` (operators.csv) to ``url``."""
    engine = make_engine(url)
    with transaction(engine) as session:
        operators = pd.read_csv(data / "operators.csv", dtype=str)
        session.add_all(Operator(code=r.code, name=r.name, kind=r.kind)
                        for r in operators.itertuples())
    engine.dispose()


def timed_import(url: str, path: Path, source: str) -> dict:
    """Import ``path`` in one committed transaction; return the counts and timings."""
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine, actor="bench") as session:
        report = import_segments(session, path, ImportOptions(source=source))
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "segments_per_second": round(report.rows_read / seconds),
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "peak_rss_mib": round(peak_rss_mib()),
    }


def main() -> int:
    """Run the benchmark and print/write its results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--ogr2ogr", action="store_true", help="also time ogr2ogr's import")
    args = parser.parse_args()

    data = OUT / f"network-{args.segments}-{args.seed}"
    started = time.perf_counter()
    generated = generate_sample(data, segments=args.segments, seed=args.seed)
    generation = {"seconds": round(time.perf_counter() - started, 2),
                  "segments": generated.rows.get("segments.gpkg") or generated.rows.get(
                      "segments.geojson"), "peak_rss_mib": round(peak_rss_mib())}
    segments_file = next(data.glob("segments.*"))
    print(f"generated {generation['segments']:,} segments in {generation['seconds']} s "
          f"({segments_file.stat().st_size / 2**20:.0f} MiB {segments_file.suffix})")

    url, drop = fresh_database()
    try:
        load_operators(url, data)
        first = timed_import(url, segments_file, generated.source)
        print(f"first import: {first}")
        again = timed_import(url, segments_file, generated.source)
        print(f"re-import:    {again}")
    finally:
        drop()
    ogr = None
    if args.ogr2ogr and segments_file.suffix == ".gpkg":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bench.gdal import import_gpkg  # bench/ is a namespace package under the root

        url, drop = fresh_database()
        try:
            ogr = import_gpkg(url, segments_file, generation["segments"])
            print(f"ogr2ogr:      {ogr}")
        finally:
            drop()

    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "segments": args.segments, "seed": args.seed,
        "generate": generation, "first_import": first, "reimport": again, "ogr2ogr": ogr,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"results-{args.segments}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
