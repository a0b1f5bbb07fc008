"""Benchmark: the progress map of the sample province and of a large synthetic network.

    .venv/bin/python bench/progress_map.py [--segments 3000 100000] [--runs 3]

For each size: a throwaway database from the PostGIS template gets the network (3,000: the
committed demo, sample_data/thai_binh_demo; any other size: generated once by
gis.sample.generate into bench/out/network-<n>-<seed> and reused), loaded with
gis.sample.load. Then, ``--runs`` times each:

1. build: the map's data from PostgreSQL, the folium map and its HTML, as served by
   ``GET /maps/progress`` (assets linked from /static), in seconds; the HTML size in MB, and the
   size of the standalone file of ``telecom-gis map progress`` (assets inline);
2. load and draw: headless Debian Chromium (/usr/bin/chromium, the flags of
   tests/browser/conftest.py, a 1280x800 window, no internet: every request outside the local
   server is aborted, so base-map tiles fail as in the field) opens the page from a local HTTP
   server (the HTML plus maps/static); the time from navigation to ``window.telecomGis.ready``
   (all segments drawn), in seconds.

Targets at 100,000 segments: build < 3 s, load and draw < 3 s. Results are printed and written
to bench/out/maps-<n>.json; the database is dropped afterwards. Timings are for this machine only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import OUT, fresh_database  # noqa: E402
from gis.db import make_engine  # noqa: E402
from gis.queries.map_data import MapFilter  # noqa: E402
from gis.sample import DEFAULT_SEED, DEFAULT_SEGMENTS, demo_directory  # noqa: E402
from gis.sample.generate import generate_sample  # noqa: E402
from gis.sample.load import load_sample  # noqa: E402
from gis.settings import Settings  # noqa: E402
from maps.pages import STATIC_DIR  # noqa: E402
from maps.progress import build_progress_map  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TARGET_S = 3.0
VIEWPORT = {"width": 1280, "height": 800}
#: Serving options of the API's connections (api/main.py): no JIT, no parallel workers.
SERVING_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"


def network_directory(segments: int) -> Path:
    """The sample files of ``segments`` segments: the committed demo, or generated once."""
    if segments == DEFAULT_SEGMENTS:
        return demo_directory()
    directory = OUT / f"network-{segments}-{DEFAULT_SEED}"
    if not (directory / "manifest.json").exists():
        print(f"generating {segments:,} segments into {directory} ...")
        generate_sample(directory, segments=segments, seed=DEFAULT_SEED)
    return directory


def load(url: str, directory: Path) -> float:
    """Load the sample ``directory`` into the database ``url`` (committed); seconds taken."""
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        load_sample(session, directory)
    engine.dispose()
    return time.perf_counter() - started


def build(url: str, settings: Settings, runs: int) -> tuple[list[float], str, str, dict]:
    """Build the progress map ``runs`` times, each in a fresh session; build times (s), the
    served HTML, the standalone HTML and the map's figures."""
    engine = make_engine(url, connect_args={"options": SERVING_OPTIONS})
    seconds = []
    for _ in range(runs):
        with Session(engine) as session, session.begin():
            started = time.perf_counter()
            page = build_progress_map(session, MapFilter(), settings=settings)
            html = page.render("url")
            seconds.append(time.perf_counter() - started)
    standalone = page.render("inline")
    engine.dispose()
    return seconds, html, standalone, page.figures


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        """No access log."""


def serve(html: str) -> tuple[ThreadingHTTPServer, str, tempfile.TemporaryDirectory]:
    """Serve ``html`` at / and maps/static at /static on a free loopback port."""
    root = tempfile.TemporaryDirectory(prefix="telecom-gis-bench-")
    Path(root.name, "index.html").write_text(html, encoding="utf-8")
    os.symlink(STATIC_DIR, Path(root.name, "static"))
    handler = functools.partial(_Quiet, directory=root.name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/", root


def load_in_chromium(url: str, runs: int) -> tuple[list[float], list[int], int]:
    """Open ``url`` ``runs`` times in fresh pages; seconds from navigation to ready (measured
    in the page), the same measured from outside, and the number of segments drawn."""
    from playwright.sync_api import sync_playwright

    host = urlsplit(url).netloc
    inside, outside, drawn = [], [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        for _ in range(runs):
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).netloc
                          == host else r.abort("internetdisconnected"))
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_function("window.telecomGis && window.telecomGis.ready",
                                   timeout=120_000, polling=10)
            outside.append(round((time.perf_counter() - started) * 1000))
            state = page.evaluate("({drawn: telecomGis.drawn, ms: telecomGis.readyMs})")
            inside.append(state["ms"] / 1000)
            drawn = state["drawn"]
            context.close()
        browser.close()
    return inside, outside, drawn


def bench(segments: int, runs: int) -> dict:
    """Measure one size; the results as a dict."""
    directory = network_directory(segments)
    url, drop = fresh_database()
    try:
        loaded_s = load(url, directory)
        print(f"{segments:,} segments: loaded {directory.name} in {loaded_s:.1f} s")
        settings = Settings(database_url=url)
        build_s, html, standalone, figures = build(url, settings, runs)
    finally:
        drop()
    server, page_url, root = serve(html)
    try:
        load_s, outside_ms, drawn = load_in_chromium(page_url, runs)
    finally:
        server.shutdown()
        root.cleanup()
    result = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "chromium": CHROMIUM},
        "segments_requested": segments,
        "segments_drawn": drawn,
        "map_segments": figures["segments"],
        "as_of": figures["as_of"],
        "build_s": [round(s, 3) for s in build_s],
        "build_s_median": round(statistics.median(build_s), 3),
        "html_mb": round(len(html.encode("utf-8")) / 1e6, 2),
        "standalone_html_mb": round(len(standalone.encode("utf-8")) / 1e6, 2),
        "chromium_load_draw_s": [round(s, 3) for s in load_s],
        "chromium_load_draw_s_median": round(statistics.median(load_s), 3),
        "chromium_wall_ms": outside_ms,
        "viewport": VIEWPORT,
        "targets_s": {"build": TARGET_S, "load_draw": TARGET_S},
    }
    result["meets_targets"] = (result["build_s_median"] < TARGET_S
                               and result["chromium_load_draw_s_median"] < TARGET_S)
    if drawn != figures["segments"]:
        raise SystemExit(f"Chromium drew {drawn} segments, the map holds {figures['segments']}")
    return result


def main() -> int:
    """Run the benchmark for each size; print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, nargs="+", default=[DEFAULT_SEGMENTS, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for segments in args.segments:
        result = bench(segments, args.runs)
        target = OUT / f"maps-{segments}.json"
        target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"{segments:,} segments ({result['segments_drawn']:,} drawn): build "
              f"{result['build_s_median']} s (runs {result['build_s']}), HTML "
              f"{result['html_mb']} MB (standalone {result['standalone_html_mb']} MB), Chromium "
              f"load+draw {result['chromium_load_draw_s_median']} s (runs "
              f"{result['chromium_load_draw_s']}); targets met: {result['meets_targets']}")
        print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
