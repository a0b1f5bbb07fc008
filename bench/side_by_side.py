"""The HTTP measurements of the suite: bbox items and vector tiles side by side (ours, tipg,
bare SQL), and visit recording (ours); the nearest segment is bench/nearest.py's.

Every function takes a :class:`Servers` (the database and the running servers) and fixed
request lists (:mod:`bench.fixed_requests`), and returns plain dicts of figures (latencies in
milliseconds). An implementation whose endpoint answers 404 is "not available" (None) when
``allow_missing`` is set, and stops the benchmark otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from bench import bare_sql, tipg
from bench.http_timing import EndpointMissing, HttpClient, Impl, interleaved, throughput
from bench.mvt import feature_count, represented_segments
from bench.visits import concurrent, percentile

#: Requests each implementation answers before anything is timed (tiles: per zoom).
WARM_UP = 20
WARM_UP_TILES = 5


@dataclass
class Servers:
    """The benchmark database (SQLAlchemy URL) and the servers on loopback."""

    url: str
    ours_port: int
    tipg_port: int
    token: str
    allow_missing: bool = False

    def ours(self) -> HttpClient:
        return HttpClient(self.ours_port, {"Authorization": f"Bearer {self.token}"})


def ours_items_path(bbox, limit: int = 1000) -> str:
    """Our OGC API items request for a bbox (lon/lat, EPSG:4326)."""
    return (f"/ogc/collections/segments/items?bbox={','.join(map(str, bbox))}"
            f"&limit={limit}")


def ours_tile_path(tile) -> str:
    z, x, y = tile
    return f"/tiles/{z}/{x}/{y}.pbf"


def _geojson_features(body: bytes) -> int:
    return len(json.loads(body)["features"])


def _tile_figures(body: bytes) -> tuple[int, int]:
    return feature_count(body), represented_segments(body)


def _available(impls: list[Impl], items: list, servers: Servers, what: str,
               warm_up: int = WARM_UP) -> list[Impl]:
    """Warm each implementation up on the first ``warm_up`` items; drop (when allowed) or
    refuse one whose endpoint is missing."""
    kept = []
    for impl in impls:
        call = impl.make_call()
        try:
            for item in items[:warm_up]:
                call(item)
        except EndpointMissing as exc:
            if not servers.allow_missing:
                raise SystemExit(f"{what}: {impl.name} is missing its endpoint: {exc}") from exc
            print(f"  {what}: {impl.name} not available ({exc})", flush=True)
            continue
        kept.append(impl)
    return kept


def _with_missing(figures: dict, names: list[str]) -> dict:
    return {name: figures.get(name) for name in names}


def items(servers: Servers, boxes: list, clients: int, per_client: int) -> dict:
    """bbox items (limit 1000) over the fixed boxes, sequentially (interleaved), then each
    implementation alone with ``clients`` concurrent clients making ``per_client`` requests
    each over the same boxes."""
    impls = [
        Impl("ours", lambda: _keep(servers.ours(), ours_items_path), _geojson_features),
        Impl("tipg", lambda: _keep(HttpClient(servers.tipg_port), tipg.items_path),
             _geojson_features),
        Impl("bare SQL", lambda: bare_sql.items_call(servers.url), len),
    ]
    names = [impl.name for impl in impls]
    impls = _available(impls, boxes, servers, "items")
    sequential = interleaved(impls, boxes)
    for figures in sequential.values():
        counts = figures.pop("features")
        figures["features_mean"] = round(sum(counts) / len(counts), 1)
        figures["features_max"] = max(counts)
    concurrent = {}
    for impl in impls:
        concurrent[impl.name] = throughput(impl, boxes, clients, per_client)
        print(f"  items x{clients} {impl.name}: {concurrent[impl.name]['rps']} req/s", flush=True)
    return {"boxes": len(boxes), "sequential": _with_missing(sequential, names),
            "concurrent": _with_missing(concurrent, names)}


def _keep(client: HttpClient, path):
    """A call that GETs ``path(item)`` on one keep-alive client."""
    return lambda item: client.get(path(item))


def tiles(servers: Servers, by_zoom: dict[int, list]) -> dict:
    """Vector tiles over the fixed tiles of each zoom, sequentially (interleaved); features
    per tile, and tiles holding fewer segments than intersect them."""
    names = ["ours", "tipg", "bare SQL"]
    result = {}
    for z, tile_list in by_zoom.items():
        impls = [
            Impl("ours", lambda: _keep(servers.ours(), ours_tile_path), _tile_figures),
            Impl("tipg", lambda: _keep(HttpClient(servers.tipg_port), tipg.tile_path),
                 _tile_figures),
            Impl("bare SQL", lambda: bare_sql.tile_call(servers.url), _tile_figures),
        ]
        impls = _available(impls, tile_list, servers, f"tiles z{z}", WARM_UP_TILES)
        complete = bare_sql.tile_segment_counts(servers.url, tile_list)
        sequential = interleaved(impls, tile_list)
        for name, figures in sequential.items():
            counts = figures.pop("features")
            reference = [active if name == "ours" else every for every, active in complete]
            figures["features_mean"] = round(sum(f for f, _ in counts) / len(counts))
            figures["features_max"] = max(f for f, _ in counts)
            figures["short_tiles"] = sum(represented < want for (_, represented), want
                                         in zip(counts, reference, strict=True))
        result[z] = {"tiles": len(tile_list),
                     "segments_mean": round(sum(e for e, _ in complete) / len(complete)),
                     "segments_max": max(e for e, _ in complete),
                     "sequential": _with_missing(sequential, names)}
        tipg_figures = sequential.get("tipg")
        print(f"  tiles z{z}: " + ", ".join(
            f"{n} p95 {f['p95_ms']} ms" for n, f in sequential.items())
            + (f"; tipg short tiles {tipg_figures['short_tiles']}/{len(tile_list)}"
               if tipg_figures else ""), flush=True)
    return result


def visit_segments(session, count: int, seed: int) -> list[tuple[int, list[str]]]:
    """``count`` active segments drawn at random (seeded), each with the codes of the checklist
    items that apply to it (as :func:`bench.visits.prepare` gives them)."""
    from gis.compliance.catalogue import items_for, version_in_force

    version = version_in_force(session, datetime.now(UTC).date())
    codes = {p: [i.code for i in items_for(version, p)] for p in ("overhead", "underground")}
    rows = session.execute(text(
        "SELECT id, placement FROM cable_segments WHERE lifecycle = 'active' "
        "ORDER BY md5(id::text || :seed) LIMIT :count"), {"seed": str(seed), "count": count}).all()
    return [(sid, codes[placement]) for sid, placement in rows]


def visits(port: int, token: str, segments: list, clients: int, per_client: int) -> dict:
    """``clients`` inspectors POST ``per_client`` visits each (bench/visits.py's client), after
    a warm-up at the same concurrency (every pooled database connection opened first)."""
    _, errors, _ = concurrent(port, token, segments, clients, 5, seed=10_000)
    if errors:
        raise SystemExit(f"visits warm-up: {len(errors)} failed, first: {errors[0]}")
    latencies, errors, seconds = concurrent(port, token, segments, clients, per_client)
    if errors:
        raise SystemExit(f"visits: {len(errors)} failed, first: {errors[0]}")
    return {"clients": clients, "n": len(latencies), "seconds": round(seconds, 2),
            "rps": round(len(latencies) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "max_ms": round(max(latencies), 1)}
