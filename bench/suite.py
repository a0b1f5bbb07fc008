"""Benchmark suite (``make bench``): ours vs tipg, ogr2ogr and bare SQL at 1,000,000 segments.

    .venv/bin/python bench/suite.py [--segments 1000000] [--seed N] [--workers 1]
        [--skip-http] [--skip-export] [--skip-import] [--allow-missing] [--keep]

In one run, on one throwaway database (made from the PostGIS template, dropped at the end even
on failure) holding the synthetic province with its history (bench/out/network-<n>-<seed>,
generated when missing):

1. items by bbox (~1 km boxes, limit 1000): our OGC API vs tipg vs the bare SQL query, median
   and p95 over fixed boxes, then throughput at concurrency 8;
2. vector tiles at z12, z14 and z16: ours vs tipg vs bare ST_AsMVT, with features per tile and
   the tiles holding fewer segments than intersect them (tipg truncates at 10,000);
3. nearest segment over HTTP (sequential; bench/nearest.py, with its bare SQL) and visit
   recording at concurrency 16 (ours);
4. full GeoJSON export: ``telecom-gis export`` vs ``ogr2ogr -f GeoJSON`` (seconds, peak RSS);
5. import of the segments from GeoPackage: ``telecom-gis import`` vs ``ogr2ogr -f PostgreSQL``,
   each into a fresh database (rows per second).

Our API (bench/server.py) and tipg (bench/tipg.py, installed by scripts/setup-tipg.sh) run on
loopback with the same number of uvicorn workers. Writes bench/results.md (figures, ratios
ours / theirs, the issue's targets with PASS/MISS, the machine) and bench/out/suite-<n>.json.
An endpoint of ours that is missing (404) stops the run, unless ``--allow-missing``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    bare_sql,
    fixed_requests,
    gdal,
    nearest,
    report,
    side_by_side,
    tipg,
)
from bench.exports import cli_export, prepare, run_cli_child  # noqa: E402
from bench.run import OUT, fresh_database, load_operators  # noqa: E402
from bench.server import start_server  # noqa: E402
from bench.visits import free_port  # noqa: E402
from gis.sample import DEFAULT_SEED  # noqa: E402

RESULTS = ROOT / "bench" / "results.md"
ZOOMS = (12, 14, 16)
BOX_M = 1000.0
LIMIT = 1000
#: Timed passes over the nearest-segment points (after a warm-up pass).
NEAREST_ROUNDS = 2
_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Print a progress line with the time since the start."""
    print(f"[{time.perf_counter() - _STARTED:6.0f} s] {message}", flush=True)


class Progress:
    """A :data:`gis.progress.ProgressFn` printing a line per stage and every 10 %."""

    def __init__(self) -> None:
        self.stage, self.shown = None, -1

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        tenth = done * 10 // total if total else 0
        if stage != self.stage or tenth > self.shown:
            self.stage, self.shown = stage, tenth
            log(f"  {stage}: {done:,}" + (f" / {total:,}" if total else ""))


def ensure_network(segments: int, seed: int) -> Path:
    """The sample directory for ``segments`` and ``seed``, generated unless already there."""
    from gis.sample.generate import generate_sample

    data = OUT / f"network-{segments}-{seed}"
    if (data / "manifest.json").exists():
        log(f"reusing the generated network in {data.relative_to(ROOT)}")
    else:
        log(f"generating {segments:,} segments (seed {seed}) into {data.relative_to(ROOT)}")
        generate_sample(data, segments=segments, seed=seed, progress=Progress())
    return data


def _stop(server) -> None:
    server.terminate()
    try:
        server.wait(15)
    except Exception:  # noqa: BLE001 - a hung server is killed
        server.kill()
        server.wait(5)


def attempt(results: dict, name: str, measure, *args):
    """``measure(*args)`` stored as ``results[name]``; a failure is logged with its traceback
    and noted in ``results["failed"]`` so the other parts still run (the suite then exits 1)."""
    try:
        results[name] = measure(*args)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported, and fails the run
        traceback.print_exc()
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        results.setdefault("failed", {})[name] = reason
        log(f"{name} FAILED: {reason}")


def _inspector(url: str, seed: int) -> tuple[str, list]:
    """An inspector's token and the segments (with checklist codes) the visits go to."""
    from sqlalchemy import text

    from gis.auth import create_user, issue_token
    from gis.choices import Role
    from gis.db import make_engine, transaction

    engine = make_engine(url)
    with transaction(engine, actor="bench") as session:
        if not session.scalar(text("SELECT count(*) FROM users "
                                   "WHERE username = 'bench.inspector'")):
            create_user(session, "bench.inspector", "Bench Inspector", Role.INSPECTOR)
        token, _ = issue_token(session, "bench.inspector", 1)
        segments = side_by_side.visit_segments(session, 5000, seed)
    engine.dispose()
    return token, segments


def http_part(url: str, token: str, args, results: dict) -> None:
    """Start our server and tipg, measure everything over HTTP, stop them."""
    with ExitStack() as stack:
        ours_port, tipg_port = free_port(), free_port()
        photos = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-photos-"))
        log(f"starting our API ({args.workers} workers) on :{ours_port} and tipg "
            f"({args.workers} workers) on :{tipg_port}")
        stack.callback(_stop, start_server(url, ours_port, args.workers,
                                           env={"TELECOM_GIS_PHOTO_DIR": photos}))
        stack.callback(_stop, tipg.start_tipg(url, tipg_port, args.workers))
        servers = side_by_side.Servers(url, ours_port, tipg_port, token, args.allow_missing)
        with bare_sql.connect(url) as conn:
            points = fixed_requests.segment_midpoints(conn, 2000, args.seed)
        boxes = fixed_requests.boxes(points[:args.boxes], BOX_M)
        log(f"items by bbox: {len(boxes)} boxes of ~{BOX_M:.0f} m, limit {LIMIT}")
        attempt(results, "items", side_by_side.items, servers, boxes, args.clients,
                args.per_client)
        tiles = {z: fixed_requests.tiles(points, z, args.tiles) for z in ZOOMS}
        log("vector tiles: " + ", ".join(f"{len(t)} at z{z}" for z, t in tiles.items()))
        attempt(results, "tiles", side_by_side.tiles, servers, tiles)
        near = fixed_requests.near(points[:args.points], args.seed)
        log(f"nearest segment: {len(near)} points x {NEAREST_ROUNDS}, one at a time, "
            "HTTP and bare SQL taking turns")
        attempt(results, "nearest", nearest.measure, url, ours_port, token, near,
                NEAREST_ROUNDS)
        log(f"visit recording: {args.visit_clients} inspectors x {args.visits} visits")
        inspector_token, segments = _inspector(url, args.seed)
        attempt(results, "visits", side_by_side.visits, ours_port, inspector_token, segments,
                args.visit_clients, args.visits)
        log("stopping the servers")


def export_part(url: str) -> dict:
    """The full GeoJSON export: our CLI, then ogr2ogr, into a scratch directory."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-suite-", dir=OUT) as tmp:
        log("export: telecom-gis export segments --out FILE.geojson")
        ours = cli_export(url, Path(tmp) / "ours.geojson")
        Path(tmp, "ours.geojson").unlink()
        log(f"  {ours['seconds']} s, peak {ours['peak_rss_mib']} MiB, {ours['rows']:,} rows")
        log("export: ogr2ogr -f GeoJSON FILE PG:... cable_segments")
        ogr = gdal.export_geojson(url, Path(tmp) / "ogr.geojson")
        log(f"  {ogr['seconds']} s, peak {ogr['peak_rss_mib']} MiB, {ogr['rows']:,} rows")
    return {"ours": ours, "ogr2ogr": ogr}


def import_part(data: Path) -> dict | None:
    """Import segments.gpkg: our CLI into a fresh database with the operators, then ogr2ogr
    into another; each database dropped afterwards."""
    from gis.sample.load import sample_source

    gpkg = data / "segments.gpkg"
    if not gpkg.exists():
        log(f"import: skipped, {data.name} has no segments.gpkg (above 50,000 segments only)")
        return None
    rows = json.loads((data / "manifest.json").read_text())["rows"]["segments.gpkg"]
    url, drop = fresh_database()
    try:
        load_operators(url, data)
        log(f"import: telecom-gis import {gpkg.name} --source ... ({rows:,} rows)")
        seconds, peak, output = run_cli_child(
            url, ["import", str(gpkg), "--source", sample_source(data), "--no-progress"],
            OUT / f"import-{url.rsplit('/', 1)[-1]}.hwm")
        ours = {"seconds": round(seconds, 2), "peak_rss_mib": peak, "rows": rows,
                "rows_per_second": round(rows / seconds), "output": output[-500:]}
        log(f"  {ours['seconds']} s, {ours['rows_per_second']:,} rows/s")
    finally:
        drop()
    url, drop = fresh_database()
    try:
        log(f"import: ogr2ogr -f PostgreSQL PG:... {gpkg.name}")
        ogr = gdal.import_gpkg(url, gpkg, rows)
        log(f"  {ogr['seconds']} s, {ogr['rows_per_second']:,} rows/s")
    finally:
        drop()
    return {"ours": ours, "ogr2ogr": ogr}


def _interrupted(*_) -> None:
    raise KeyboardInterrupt("SIGTERM")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn workers of our API and of tipg (each); above 1, tipg's "
                             "shared socket lacks TCP_NODELAY (ours sets it: api/serving.py) "
                             "and its small answers wait ~40 ms for a delayed ACK")
    parser.add_argument("--boxes", type=int, default=200, help="fixed bbox requests")
    parser.add_argument("--tiles", type=int, default=100, help="fixed tiles per zoom (at most)")
    parser.add_argument("--points", type=int, default=200, help="fixed nearest requests")
    parser.add_argument("--clients", type=int, default=8, help="concurrency of the bbox run")
    parser.add_argument("--per-client", type=int, default=50,
                        help="requests per client in the concurrent bbox run")
    parser.add_argument("--visit-clients", type=int, default=16)
    parser.add_argument("--visits", type=int, default=40, help="visits per inspector")
    parser.add_argument("--skip-http", action="store_true", help="no items/tiles/nearest/visits")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--allow-missing", action="store_true",
                        help="report an endpoint of ours that answers 404 as 'not available' "
                             "instead of failing (development only)")
    parser.add_argument("--database-url", help="use this loaded benchmark database (it gets "
                        "users, tokens and visits; kept afterwards) instead of a fresh one")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the Markdown to write")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; write bench/results.md and bench/out/suite-<n>.json."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # stop, but run the clean-ups
    versions = {"tipg": tipg.version(), "gdal": gdal.version()}
    log(f"tipg {versions['tipg']}, {versions['gdal']}")
    data = ensure_network(args.segments, args.seed)
    results: dict = {"segments": args.segments, "seed": args.seed, "skipped": [
        name for name, skip in (("HTTP", args.skip_http), ("export", args.skip_export),
                                ("import", args.skip_import)) if skip],
        "conditions": {"workers": args.workers, "box_m": BOX_M, "limit": LIMIT,
                       "clients": args.clients, "per_client": args.per_client,
                       "warm_up": side_by_side.WARM_UP}}
    with ExitStack() as stack:
        if args.database_url:
            url = args.database_url
        else:
            url, drop = fresh_database()
            if not args.keep:
                stack.callback(drop)
            log(f"throwaway database {url.rsplit('/', 1)[-1]}"
                + (" (kept)" if args.keep else ""))
        log(f"loading {args.segments:,} segments with their history")
        started = time.perf_counter()
        token = prepare(url, args.segments, args.seed, Progress())
        results["setup"] = {"load_seconds": round(time.perf_counter() - started, 1)}
        with bare_sql.connect(url) as conn:
            results["machine"] = report.machine(conn, versions["tipg"], versions["gdal"])
        if not args.skip_http:
            http_part(url, token, args, results)
        if not args.skip_export:
            attempt(results, "export", export_part, url)
    if not args.skip_import:
        attempt(results, "import", import_part, data)
    results["load_average"] = {"start": results["machine"]["load_average"],
                               "end": [round(v, 1) for v in os.getloadavg()]}
    results["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["seconds"] = round(time.perf_counter() - _STARTED)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"suite-{args.segments}.json"
    target.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    args.output.write_text(report.render(results), encoding="utf-8")
    log(f"written {args.output} and {target}")
    for row in report.targets(results):
        print("  " + " | ".join(row))
    for name, reason in results.get("failed", {}).items():
        print(f"FAILED {name}: {reason}")
    return 1 if results.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
