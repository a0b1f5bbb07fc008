"""bench/results.md: the suite's figures, ratios (ours / theirs) and the issue's targets.

:func:`machine` notes what the figures were measured on; :func:`render` turns the suite's
results (a plain dict, also written as JSON to bench/out/suite-<segments>.json) into Markdown.
Latencies are milliseconds, throughputs requests per second, memory MiB (2^20 bytes).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

NA = "not available"


def machine(conn, tipg_version: str, gdal_version: str) -> dict:
    """CPU model, cores, RAM, and the versions of PostgreSQL, PostGIS, GDAL, tipg and Python;
    ``conn`` is a psycopg connection to the benchmark database."""
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:"))
    postgres, postgis = conn.execute(
        "SELECT current_setting('server_version'), postgis_lib_version()").fetchone()
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(kib / 2**20, 1),
            "postgresql": postgres, "postgis": postgis, "gdal": gdal_version,
            "tipg": tipg_version, "python": platform.python_version(),
            "os": platform.platform(),
            "load_average": [round(v, 1) for v in os.getloadavg()]}


def _ms(figures: dict | None, key: str) -> str:
    return NA if not figures else f"{figures[key]:.1f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs in (None, 0):
        return "–"
    return f"{ours / theirs:.2f}"


def _get(figures: dict | None, key: str) -> float | None:
    return None if not figures else figures.get(key)


def _target(what: str, measured: float | None, reference: float | None, unit: str,
            passes, basis: str = "") -> list[str]:
    """A targets row: what, measured, reference (the bound, and what it was derived from),
    PASS/MISS."""
    bound = NA if reference is None else f"{reference:.1f} {unit}" + (
        f" ({basis})" if basis else "")
    if measured is None or reference is None:
        return [what, NA, bound, "MISS"]
    return [what, f"{measured:.1f} {unit}", bound,
            "PASS" if passes(measured, reference) else "MISS"]


def _basis(name: str, value: float | None, operation: str) -> str:
    return "" if value is None else f"{name} {value:.1f} {operation}"


def _half(value: float | None) -> float | None:
    return None if value is None else value / 2


def _times(factor: float, value: float | None) -> float | None:
    return None if value is None else value * factor


def targets(results: dict) -> list[list[str]]:
    """One row per target of the issue (section 4): measured, reference, PASS/MISS; a part
    that was skipped or failed gives 'not available' and MISS."""
    items = (results.get("items") or {}).get("sequential", {})
    tipg_p95, bare_p50 = _get(items.get("tipg"), "p95_ms"), _get(items.get("bare SQL"), "p50_ms")
    rows = [
        _target("bbox items p95 <= 1/2 tipg p95", _get(items.get("ours"), "p95_ms"),
                _half(tipg_p95), "ms", float.__le__, _basis("tipg", tipg_p95, "/ 2")),
        _target("bbox items median <= 3x bare SQL median", _get(items.get("ours"), "p50_ms"),
                _times(3, bare_p50), "ms", float.__le__, _basis("bare SQL", bare_p50, "x 3")),
    ]
    tiles = results.get("tiles") or {z: {"tiles": 0, "sequential": {}} for z in (12, 14, 16)}
    short, total = 0, 0
    for z, tile in tiles.items():
        seq = tile["sequential"]
        rows.append(_target(f"tiles z{z} p95 <= tipg p95", _get(seq.get("ours"), "p95_ms"),
                            _get(seq.get("tipg"), "p95_ms"), "ms", float.__le__))
        if seq.get("ours"):
            short, total = short + seq["ours"]["short_tiles"], total + tile["tiles"]
    rows.append(["no silently truncated tile (ours)",
                 f"{short} of {total} tiles short" if total else NA, "0 tiles",
                 "PASS" if total and not short else "MISS"])
    export = results.get("export") or {}
    ours, ogr = export.get("ours"), export.get("ogr2ogr")
    rows.append(_target("GeoJSON export <= 1/2 ogr2ogr's time", _get(ours, "seconds"),
                        _half(_get(ogr, "seconds")), "s", float.__le__,
                        _basis("ogr2ogr", _get(ogr, "seconds"), "/ 2")))
    rows.append(_target("GeoJSON export client peak RSS < 300 MB",
                        _times(2**20 / 1e6, _get(ours, "peak_rss_mib")), 300.0, "MB",
                        float.__lt__))
    imported = results.get("import") or {}
    ours, ogr = imported.get("ours"), imported.get("ogr2ogr")
    rows.append(_target("GeoPackage import >= 2x ogr2ogr's rows/s",
                        _times(1e-3, _get(ours, "rows_per_second")),
                        _times(2e-3, _get(ogr, "rows_per_second")), "k rows/s",
                        float.__ge__, _basis("ogr2ogr", _times(1e-3, _get(
                            ogr, "rows_per_second")), "x 2")))
    rows.append(_target("nearest segment over HTTP p95 < 10 ms",
                        _get((results.get("nearest") or {}).get("http"), "p95_ms"), 10.0, "ms",
                        float.__lt__))
    visits = results.get("visits")
    rows.append(_target("visit recording p95 < 50 ms at concurrency 16",
                        _get(visits, "p95_ms"), 50.0, "ms", float.__lt__))
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def _latency_rows(sequential: dict, extra: list[str]) -> list[list[str]]:
    ours = sequential.get("ours")
    rows = []
    for name, figures in sequential.items():
        rows.append([name, _ms(figures, "p50_ms"), _ms(figures, "p95_ms"),
                     _ms(figures, "max_ms"),
                     *(NA if not figures else str(figures[key]) for key in extra),
                     "–" if name == "ours" else _ratio(_get(ours, "p50_ms"),
                                                       _get(figures, "p50_ms")),
                     "–" if name == "ours" else _ratio(_get(ours, "p95_ms"),
                                                       _get(figures, "p95_ms"))])
    return rows


def _items_section(items: dict, conditions: dict) -> list[str]:
    lines = [f"## Items by bbox (~{conditions['box_m']:.0f} m box, limit "
             f"{conditions['limit']}, {items['boxes']} fixed boxes)", "",
             "`GET /ogc/collections/segments/items?bbox=...&limit=1000` vs tipg's "
             "`/collections/public.cable_segments/items` vs the bare query (psycopg, rows with "
             "`ST_AsGeoJSON(geom)`, `ST_Intersects(geom, ST_MakeEnvelope(...))`, "
             "`ORDER BY id LIMIT 1000`: the rows the other two return). "
             "One request at a time, the three taking turns per box.", ""]
    lines += _table(["", "median ms", "p95 ms", "max ms", "features/answer",
                     "ours/this median", "ours/this p95"],
                    _latency_rows(items["sequential"], ["features_mean"]))
    concurrent = items["concurrent"]
    lines.append(f"Throughput at concurrency {conditions['clients']} (each implementation "
                 "alone, the same boxes):")
    lines.append("")
    ours_rps = _get(concurrent.get("ours"), "rps")
    lines += _table(["", "requests/s", "median ms", "p95 ms", "errors", "ours/this req/s"], [
        [name, NA if not f else f["rps"], _ms(f, "p50_ms"), _ms(f, "p95_ms"),
         NA if not f else f["errors"],
         "–" if name == "ours" else _ratio(ours_rps, _get(f, "rps"))]
        for name, f in concurrent.items()])
    return lines


def _tiles_section(tiles: dict) -> list[str]:
    lines = ["## Vector tiles", "",
             "Ours `GET /tiles/{z}/{x}/{y}.pbf` vs tipg's `/collections/public.cable_segments/"
             "tiles/WebMercatorQuad/{z}/{x}/{y}` vs bare `ST_AsMVT` (every segment in the "
             "tile with a 256/4096 buffer, no cap, no simplification). Fixed tiles centred on "
             "random segments; one request at a time, taking turns per tile. 'Short tiles': "
             "tiles standing for fewer segments than intersect them (ours: active segments, "
             "aggregates counting their `segments`; tipg and bare SQL: all segments).", ""]
    for z, tile in tiles.items():
        lines.append(f"### z{z}: {tile['tiles']} tiles, {tile['segments_mean']:,} segments "
                     f"intersecting a tile on average (max {tile['segments_max']:,})")
        lines.append("")
        lines += _table(["", "median ms", "p95 ms", "max ms", "features/tile",
                         "max features", "short tiles", "ours/this median", "ours/this p95"],
                        _latency_rows(tile["sequential"],
                                      ["features_mean", "features_max", "short_tiles"]))
    return lines


#: The CLI-vs-ogr2ogr sections: results key, title, description, (column, figure) pairs; the
#: ratio ours / ogr2ogr is taken on the first figure.
VERSUS = (
    ("export", "Full GeoJSON export",
     "`telecom-gis export segments --out FILE.geojson` vs `ogr2ogr -f GeoJSON FILE PG:... "
     "cable_segments`: wall-clock seconds of the process and its peak resident memory.",
     (("seconds", "seconds"), ("peak RSS MiB", "peak_rss_mib"), ("MiB written", "mib"),
      ("rows", "rows"))),
    ("import", "Import from GeoPackage",
     "`telecom-gis import segments.gpkg --source NAME` (validated, into `cable_segments` with "
     "states and history, one transaction) into a fresh database with the operators loaded vs "
     "`ogr2ogr -f PostgreSQL PG:... segments.gpkg` (a new plain table, COPY) into another "
     "fresh database.",
     (("rows/s", "rows_per_second"), ("seconds", "seconds"), ("peak RSS MiB", "peak_rss_mib"))),
)


def _cell(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _export_import_section(results: dict) -> list[str]:
    lines = []
    for key, title, description, columns in VERSUS:
        if not results.get(key):
            continue
        ours, ogr = results[key]["ours"], results[key]["ogr2ogr"]
        first = columns[0][1]
        lines += [f"## {title}", "", description, ""]
        lines += _table([""] + [c for c, _ in columns] + [f"ours/this {columns[0][0]}"], [
            ["ours (CLI)", *(_cell(ours[k]) for _, k in columns), "–"],
            ["ogr2ogr", *(_cell(ogr[k]) for _, k in columns), _ratio(ours[first], ogr[first])]])
    return lines


def _ours_only_section(results: dict) -> list[str]:
    rows = []
    for name, what in (("http", "nearest segment `GET /segments/nearest` (sequential)"),
                       ("bare SQL", "nearest segment, its bare SQL query (taking turns)")):
        if near := (results.get("nearest") or {}).get(name):
            rows.append([what, near["n"], _ms(near, "p50_ms"), _ms(near, "p95_ms"),
                         _ms(near, "max_ms"), "–"])
    if "visits" in results:
        v = results["visits"]
        rows.append([f"visit recording `POST /inspections` (concurrency {v['clients']})",
                     v["n"], _ms(v, "p50_ms"), _ms(v, "p95_ms"), _ms(v, "max_ms"), v["rps"]])
    if not rows:
        return []
    return ["## Nearest segment and visit recording (ours)", "",
            *_table(["", "requests", "median ms", "p95 ms", "max ms", "requests/s"], rows)]


def _load(load: dict | None) -> str:
    if not load:
        return ""
    start, end = (", ".join(map(str, load[k])) for k in ("start", "end"))
    return (f"; load average (1, 5, 15 min) {start} when the measurements started, {end} at "
            "the end (other work on the machine makes the figures noisy)")


def render(results: dict) -> str:
    """The Markdown of bench/results.md."""
    m, c = results["machine"], results["conditions"]
    lines = [f"# Benchmark: {results['segments']:,} segments, ours vs tipg, ogr2ogr and bare "
             "SQL", "",
             f"Measured {results['when']} by `make bench` (bench/suite.py); the figures of one "
             "run on one database, side by side, compare only with each other.", "",
             f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; {m['os']}"
             + _load(results.get("load_average")),
             f"- PostgreSQL {m['postgresql']}, PostGIS {m['postgis']}, {m['gdal']}, tipg "
             f"{m['tipg']}, Python {m['python']}",
             f"- Data: the synthetic province, seed {results['seed']} "
             f"(gis/sample/generate.py), loaded with its history in "
             f"{results['setup']['load_seconds']:.0f} s",
             f"- Servers on loopback, {c['workers']} uvicorn worker(s) each (the same uvicorn, "
             "without uvloop/httptools; ours sets TCP_NODELAY itself, tipg's uvicorn 0.54 "
             "would not with several workers); every database "
             "connection with `jit=off`, `max_parallel_workers_per_gather=0`; each "
             f"implementation warmed up with {c['warm_up']} requests before timing", ""]
    if results.get("failed"):
        lines += ["**Failed parts** (no figures; the run exited 1):", ""]
        lines += [f"- {name}: {reason}" for name, reason in results["failed"].items()] + [""]
    rows = targets(results)
    if rows:
        lines += ["## Targets (issue 5, section 4)", ""]
        lines += _table(["target", "measured", "reference", "result"], rows)
    if results.get("items"):
        lines += _items_section(results["items"], c)
    if results.get("tiles"):
        lines += _tiles_section(results["tiles"])
    lines += _export_import_section(results)
    lines += _ours_only_section(results)
    lines += ["Skipped: " + ", ".join(results["skipped"]), ""] if results.get("skipped") else []
    return "\n".join(lines)
