"""Benchmark: exporting 1,000,000 segments, through the CLI and through the HTTP API.

    .venv/bin/python bench/exports.py [--segments 1000000] [--seed N]
                                      [--database-url URL] [--keep]

Loads the synthetic province (``bench/out/network-<n>-<seed>``, generated when missing: routes,
communes, history) into a throwaway database made from the PostGIS template, then measures:

1. ``telecom-gis export segments --out FILE.geojson`` and ``... FILE.gpkg`` in a child process:
   wall-clock seconds (process start to exit, imports included), the child's peak resident
   memory (VmHWM, MiB), the file's size and row count;
2. ``GET /exports/segments.geojson`` and ``.gpkg`` on ``uvicorn`` (loopback, one worker): a
   client streams the body to nowhere; seconds to the first byte and to the last, bytes, and
   the server's resident memory before and at its peak (VmHWM, MiB).

Results are printed and written to bench/out/exports-<n>.json; the database is dropped
afterwards (unless ``--database-url`` names an existing loaded one, or ``--keep``). Timings
are for this machine only (2 cores, shared with the database server).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bench.server import start_server  # noqa: E402

#: Argument that makes this script run ``telecom-gis`` itself (the measured child process).
CLI_CHILD = "cli"


def run_cli() -> None:
    """Run ``telecom-gis`` (in the measured child process); at exit,
    write this process's peak resident memory (VmHWM, MiB) to the file ``BENCH_HWM_FILE``.
    (The parent cannot take it from wait4: a child forked from the parent, which loaded the
    network, reports the parent's peak.)"""
    from gis.cli import app

    try:
        app(args=sys.argv[2:], prog_name="telecom-gis")
    finally:
        Path(os.environ["BENCH_HWM_FILE"]).write_text(str(_status_mib(os.getpid(), "VmHWM")))


def prepare(url: str, segments: int, seed: int, progress=None) -> str:
    """Load the synthetic province into ``url`` (generated first when missing), analyse it,
    and return a planner's token. ``progress`` is a :data:`gis.progress.ProgressFn` for the
    load (none by default)."""
    from sqlalchemy import text

    from gis.auth import create_user, issue_token
    from gis.choices import Role
    from gis.db import make_engine, transaction
    from gis.sample.generate import generate_sample
    from gis.sample.load import load_sample

    data = OUT / f"network-{segments}-{seed}"
    if not (data / "manifest.json").exists():
        generate_sample(data, segments=segments, seed=seed)
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine, actor="bench") as session:
        if not session.scalar(text("SELECT count(*) FROM cable_segments")):
            load_sample(session, data, progress)
        if session.scalar(text("SELECT count(*) FROM users WHERE username = 'bench.planner'")):
            session.execute(text("DELETE FROM api_tokens WHERE user_id = "
                                 "(SELECT id FROM users WHERE username = 'bench.planner')"))
        else:
            create_user(session, "bench.planner", "Bench Planner", Role.PLANNER)
        token, _ = issue_token(session, "bench.planner", 1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"database ready in {time.perf_counter() - started:.0f} s")
    return token


def run_cli_child(url: str, args: list[str], hwm: Path) -> tuple[float, int, str]:
    """Run ``telecom-gis *args`` on ``url`` in a child process (``hwm``: a scratch file);
    return its wall-clock seconds (start to exit), peak resident memory (MiB) and stdout."""
    env = dict(os.environ, TELECOM_GIS_DATABASE_URL=url, BENCH_HWM_FILE=str(hwm))
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, CLI_CHILD, *args], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    seconds = time.perf_counter() - started
    stdout, stderr = child.stdout, child.stderr
    if child.returncode:
        raise SystemExit(f"the CLI failed ({child.returncode}): {stderr or stdout}")
    peak = int(hwm.read_text())
    hwm.unlink()
    return seconds, peak, stdout.strip()


def cli_export(url: str, out: Path) -> dict:
    """Run the CLI export to ``out`` in a child process; its time, peak memory and output."""
    seconds, peak, stdout = run_cli_child(url, ["export", "segments", "--out", str(out), "-q"],
                                          out.with_name(out.name + ".hwm"))
    return {"seconds": round(seconds, 2), "peak_rss_mib": peak,
            "bytes": out.stat().st_size, "mib": round(out.stat().st_size / 2**20, 1),
            "rows": _rows(out), "output": stdout}


def _rows(path: Path) -> int:
    if path.suffix == ".geojson":  # one feature per line between the head and the tail
        with path.open("rb") as lines:
            return sum(1 for _ in lines) - 2
    import pyogrio

    return pyogrio.read_info(path)["features"]


def _status_mib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024)
    raise KeyError(field)


def http_export(port: int, token: str, fmt: str, server_pid: int) -> dict:
    """GET the export, streaming the body to nowhere; client-side timings, server memory."""
    before = _status_mib(server_pid, "VmRSS")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", f"/exports/segments.{fmt}", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    first_byte, size = None, 0
    while chunk := response.read(1 << 20):
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
    seconds = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"GET /exports/segments.{fmt}: {response.status}")
    return {"seconds": round(seconds, 2), "first_byte_seconds": round(first_byte or 0, 2),
            "bytes": size, "mib": round(size / 2**20, 1),
            "content_length": response.getheader("content-length"),
            "server_rss_before_mib": before,
            "server_peak_rss_mib": _status_mib(server_pid, "VmHWM")}


def main() -> int:
    """Run the benchmark and print/write its results."""
    if len(sys.argv) > 1 and sys.argv[1] == CLI_CHILD:
        run_cli()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", help="use this loaded database (kept afterwards)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    # Imported here, not at the top: the CLI child and the server import this module too, and
    # their memory is what is measured.
    from bench.run import fresh_database
    from bench.visits import free_port
    from gis.sample import DEFAULT_SEED

    seed = args.seed if args.seed is not None else DEFAULT_SEED
    if args.database_url:
        url, drop = args.database_url, None
    else:
        url, drop = fresh_database()
        print(f"throwaway database: {url.rsplit('/', 1)[-1]}")
    server = None
    results: dict = {}
    try:
        token = prepare(url, args.segments, seed)
        with tempfile.TemporaryDirectory(prefix="bench-exports-", dir=OUT) as tmp:
            for fmt in ("geojson", "gpkg"):
                results[f"cli_{fmt}"] = cli_export(url, Path(tmp) / f"segments.{fmt}")
                print(f"CLI {fmt}: {results[f'cli_{fmt}']}")
                Path(tmp, f"segments.{fmt}").unlink()
        port = free_port()
        server = start_server(url, port)
        for fmt in ("geojson", "gpkg"):
            results[f"http_{fmt}"] = http_export(port, token, fmt, server.pid)
            print(f"HTTP {fmt}: {results[f'http_{fmt}']}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if drop is not None and not args.keep:
            drop()
    summary = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "segments": args.segments, "seed": seed, **results,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"exports-{args.segments}.json"
    target.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
