"""Benchmark: the dashboard and the annual report on a large synthetic province.

    .venv/bin/python bench/dashboard.py [--segments 1000000] [--visits 100000]
                                        [--database URL] [--keep]

Loads the generated network (``bench/out/network-<segments>-<seed>``, generated if missing)
with its state history and plans into a fresh database, adds ``--visits`` synthetic visits
(2023 to last month) with violations (about one visit in five; half of them closed) and
penalty decisions, runs ANALYZE, then times (wall-clock seconds, best of 2) each figure of
the dashboard and of the annual report: for the whole network, for one operator, for one
commune, and for an operator's user (row-level security). ``--database`` reuses a database
loaded by an earlier run (``--keep`` keeps the new one). Results are printed and written to
bench/out/dashboard-<segments>.json. Timings are for this machine only.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.main import SERVING_OPTIONS  # noqa: E402
from bench.run import OUT, fresh_database, peak_rss_mib  # noqa: E402
from gis.auth import Principal, bind_principal, create_user  # noqa: E402
from gis.choices import Role  # noqa: E402
from gis.compliance.rules import local_today  # noqa: E402
from gis.db import make_engine, transaction  # noqa: E402
from gis.reports import compliance_rate, inspections, network, periods  # noqa: E402
from gis.reports.annual import build_annual_report  # noqa: E402
from gis.reports.dashboard import build_dashboard  # noqa: E402
from gis.reports.enforcement import penalties_by_period, violation_series  # noqa: E402
from gis.reports.plans import plan_figures  # noqa: E402
from gis.reports.scope import ReportScope, filter_choices, resolve_scope  # noqa: E402
from gis.reports.xlsx import annual_workbook  # noqa: E402
from gis.sample import DEFAULT_SEED  # noqa: E402
from gis.sample.generate import generate_sample  # noqa: E402
from gis.sample.load import load_sample  # noqa: E402
from maps.dashboard import dashboard_context, figures_json  # noqa: E402
from maps.pages import render_page  # noqa: E402

TODAY = local_today()
OPERATOR_RUN = "VNPT's user (row-level security)"

VISITS_SQL = """
    INSERT INTO inspections (segment_id, operator_id, inspector_id, visited_at, placement,
                             checklist_version_id, idempotency_key, request_sha256)
    SELECT s.id, s.operator_id, :inspector,
           timestamptz '2023-01-02 09:00+07'
             + random() * (CAST(:last AS timestamptz) - timestamptz '2023-01-02 09:00+07'),
           s.placement, :version, gen_random_uuid(), repeat('0', 64)
      FROM (SELECT id, operator_id, placement FROM cable_segments
             WHERE lifecycle = 'active' ORDER BY random() LIMIT :visits) s"""
VIOLATIONS_SQL = """
    WITH items AS (
      SELECT p.placement, array_agg(ci.id ORDER BY ci.position) AS ids
        FROM checklist_items ci CROSS JOIN unnest(ci.placements) AS p(placement)
       WHERE ci.version_id = :version GROUP BY p.placement
    )
    INSERT INTO violations (segment_id, operator_id, inspection_id, item_id, found_at, due_on,
                            state, closed_at)
    SELECT i.segment_id, i.operator_id, i.id,
           items.ids[1 + i.id % array_length(items.ids, 1)], i.visited_at,
           (i.visited_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 30,
           CASE WHEN i.id % 2 = 0 AND i.visited_at < now() - interval '40 days'
                THEN 'closed' ELSE 'open' END,
           CASE WHEN i.id % 2 = 0 AND i.visited_at < now() - interval '40 days'
                THEN i.visited_at + interval '35 days' END
      FROM inspections i JOIN items ON items.placement = i.placement
     WHERE i.id % 5 = 0
    ON CONFLICT DO NOTHING"""
PENALTIES_SQL = """
    INSERT INTO penalty_decisions (number, decided_on, operator_id, decree, article, clause,
                                   amount_vnd)
    SELECT 'BENCH-' || o.code || '-' || y || '-' || n, make_date(y, 1 + n % 12, 10), o.id,
           'Nghị định 15/2020/NĐ-CP', 'Điều 40', 'khoản 1', 1000000 * (3 + n % 5)
      FROM operators o CROSS JOIN generate_series(2023, 2025) y CROSS JOIN generate_series(1, 6) n
     WHERE o.kind <> 'power'"""


def load(url: str, data: Path, visits: int) -> dict:
    """Load the network and add the synthetic inspection history; return timings."""
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine, actor="bench") as session:
        load_sample(session, data)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(engine, actor="bench") as session:
        inspector = create_user(session, "bench.inspector", "Bench Inspector", Role.INSPECTOR)
        version = session.scalar(text("SELECT id FROM checklist_versions"
                                      " ORDER BY effective_from LIMIT 1"))
        last = datetime.now().astimezone() - timedelta(days=20)
        session.execute(text(VISITS_SQL), {"inspector": inspector.id, "version": version,
                                           "last": last, "visits": visits})
        session.execute(text(VIOLATIONS_SQL), {"version": version})
        session.execute(text(PENALTIES_SQL))
    history = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"load_seconds": round(loaded, 1), "inspections_seconds": round(history, 1)}


def best_of(fn: Callable[[], object], runs: int = 2) -> float:
    """The fastest of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def measure(session: Session, scope: ReportScope) -> dict[str, float]:
    """Seconds of each figure for ``scope`` (dashboard of this year, annual report 2024)."""
    end = periods.period_end(TODAY.year, TODAY)
    first = network.first_history_year(session, scope) or end.year
    years, months = periods.year_ends(first, end), periods.month_ends(end)
    report = build_annual_report(session, scope, 2024, today=TODAY)
    return {
        "first_history_year": best_of(lambda: network.first_history_year(session, scope)),
        "network_progress": best_of(lambda: network.network_progress(session, scope, years,
                                                                     months)),
        "plans": best_of(lambda: plan_figures(session, scope, last_year=end.year, today=TODAY)),
        "visits_by_month": best_of(lambda: inspections.visits_by_month(session, scope, months)),
        "compliance_24_months": best_of(lambda: compliance_rate.compliance_series(
            session, scope, months, 365)),
        "violations_24_months": best_of(lambda: violation_series(session, scope, months)),
        "penalties": best_of(lambda: penalties_by_period(
            session, scope, [m.replace(day=1) for m in months], "month")),
        "dashboard_total": best_of(lambda: build_dashboard(
            session, scope, stale_after_days=365, today=TODAY)),
        "annual_report_2024": best_of(lambda: build_annual_report(session, scope, 2024,
                                                                  today=TODAY)),
        "annual_xlsx_2024": best_of(lambda: annual_workbook(report)),
        "dashboard_page_render": best_of(lambda: _page(session, scope)),
    }


def _page(session: Session, scope: ReportScope) -> str:
    """The dashboard page's HTML (figures, filter options, template)."""
    figures = build_dashboard(session, scope, stale_after_days=365, today=TODAY)
    return render_page("dashboard.html", **dashboard_context(
        figures, filter_choices(session), username="bench", first_year=2015,
        this_year=TODAY.year))


def sizes(session: Session) -> dict[str, int]:
    """Bytes of the whole network's dashboard JSON and page, and of the 2024 workbook."""
    figures = build_dashboard(session, ReportScope(), stale_after_days=365, today=TODAY)
    return {"dashboard_json": len(figures_json(figures).encode()),
            "dashboard_page": len(_page(session, ReportScope()).encode()),
            "annual_xlsx_2024": len(annual_workbook(
                build_annual_report(session, ReportScope(), 2024, today=TODAY)))}


def main() -> int:
    """Run the benchmark and print/write its results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", help="reuse this loaded database (URL)")
    parser.add_argument("--keep", action="store_true", help="keep the new database")
    args = parser.parse_args()

    loading: dict = {}
    if args.database:
        url, drop = args.database, (lambda: None)
    else:
        data = OUT / f"network-{args.segments}-{args.seed}"
        if not (data / "manifest.json").exists():
            generate_sample(data, segments=args.segments, seed=args.seed)
        url, drop = fresh_database()
        loading = load(url, data, args.visits)
        print(f"loaded: {loading}")
    results: dict = {}
    try:
        engine = make_engine(url, connect_args={"options": SERVING_OPTIONS})
        with Session(engine) as session:
            counts = session.execute(text(
                "SELECT (SELECT count(*) FROM cable_segments), (SELECT count(*) FROM"
                " segment_states), (SELECT count(*) FROM inspections), (SELECT count(*) FROM"
                " violations)")).one()
            commune = session.scalar(text(
                "SELECT u.code FROM admin_units u JOIN cable_segments s ON s.commune_id = u.id"
                " GROUP BY u.code ORDER BY count(*) DESC LIMIT 1"))
            scopes = {"whole network": ReportScope(),
                      "operator VNPT": resolve_scope(session, operator="VNPT"),
                      f"commune {commune}": resolve_scope(session, commune=commune)}
            results["bytes"] = sizes(session)
            print(f"bytes: {results['bytes']}")
            for name, scope in scopes.items():
                results[name] = measure(session, scope)
                print(f"{name}: {results[name]}")
            session.rollback()
            operator_id = session.scalar(text("SELECT id FROM operators WHERE code = 'VNPT'"))
            bind_principal(session, Principal(0, "bench.vnpt", Role.OPERATOR, operator_id))
            results[OPERATOR_RUN] = measure(session, ReportScope())
            print(f"VNPT's user: {results[OPERATOR_RUN]}")
        engine.dispose()
    finally:
        if args.database or args.keep:
            print(f"database kept: {url}")
        else:
            drop()
    out = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "segments": counts[0], "state_rows": counts[1], "visits": counts[2],
        "violations": counts[3], "loading": loading, "seconds": results,
        "peak_rss_mib": round(peak_rss_mib()),
    }
    target = OUT / f"dashboard-{args.segments}.json"
    target.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
