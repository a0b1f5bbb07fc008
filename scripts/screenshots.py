"""Take the README's screenshots of the pages, in headless Debian Chromium.

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]

Needs the app serving the demo province (`make demo`). Issues a one-day token for the demo
users it signs in as (administrator for the maps and dashboard, an inspector for the viewer),
so it must run where the database is reachable with the app's settings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.auth import issue_token
from gis.db import make_engine
from gis.settings import get_settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

#: The viewer opened on the city centre, with a segment that has an overdue violation selected.
VIEWER_START = """localStorage.setItem('telecom-gis-viewer-view',
    JSON.stringify({lat: 20.4487, lon: 106.3403, zoom: 16}));"""
VIEWER_SELECT = "id => window.telecomViewer.select(id)"
OVERDUE_SEGMENT = """
    SELECT segment_id FROM violations
     WHERE state IN ('open', 'remediation_reported') AND due_on < current_date
     ORDER BY segment_id LIMIT 1"""

#: (file name, user, path, viewport, what to wait for)
SHOTS = [
    ("progress-map.png", "quantri", "/maps/progress", (1280, 800),
     "window.telecomGis && window.telecomGis.ready"),
    ("compliance-map.png", "quantri", "/maps/compliance", (1280, 800),
     "window.telecomGis && window.telecomGis.ready"),
    ("dashboard.png", "quantri", "/dashboard", (1280, 1400),
     "window.telecomGisDashboard && window.telecomGisDashboard.charts().length > 0"),
    ("viewer.png", "thanhtra.an", "/viewer", (390, 844),
     "window.telecomViewer && window.telecomViewer.ready"),
]


def token_for(username: str) -> str:
    """A one-day token for the demo user ``username`` (committed)."""
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session, session.begin():
        token, _ = issue_token(session, username, 1, label="screenshots")
    engine.dispose()
    return token


def overdue_segment() -> int:
    """A segment with an overdue violation, to show in the viewer's details panel."""
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        segment_id = conn.execute(text(OVERDUE_SEGMENT)).scalar_one()
    engine.dispose()
    return segment_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tokens: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for name, user, path, (width, height), ready in SHOTS:
            token = tokens.setdefault(user, token_for(user))
            context = browser.new_context(viewport={"width": width, "height": height},
                                          device_scale_factor=1, base_url=args.url)
            context.add_cookies([{"name": "telecom_gis_session", "value": token,
                                  "url": args.url}])
            context.add_init_script(
                f"localStorage.setItem('telecom-gis-token', '{token}');")
            if name == "viewer.png":
                context.add_init_script(VIEWER_START)
            page = context.new_page()
            page.goto(path)
            page.wait_for_function(ready, timeout=60_000)
            if name == "viewer.png":
                page.evaluate(VIEWER_SELECT, overdue_segment())
            page.wait_for_timeout(1500)  # tiles (when reachable) and chart animations
            page.screenshot(path=str(args.out / name), full_page=False)
            print(f"{args.out / name}")  # noqa: T201 - the files written
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
