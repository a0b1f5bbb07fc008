"""HTML pages of the app (login, viewer, dashboard): Jinja2 templates in ``maps/templates`` that
load every script and style sheet from the app's own ``/static`` (no CDN: inspectors work where
the network is weak). ``maps/static/vendor`` holds the pinned third-party libraries
(``scripts/vendor-assets.sh``); ``maps/static/pages`` the pages' own JS and CSS."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

#: Directory served at :data:`STATIC_URL` by the API.
STATIC_DIR = Path(__file__).parent / "static"
#: URL path under which :data:`STATIC_DIR` is served.
STATIC_URL = "/static"


def static_url(path: str) -> str:
    """URL of a file under :data:`STATIC_DIR` (``"vendor/leaflet/leaflet.js"``); fails loudly
    when the file is missing, so a page never refers to an asset that is not there."""
    if not (STATIC_DIR / path).is_file():
        raise FileNotFoundError(f"no static asset {path!r} under {STATIC_DIR}")
    return f"{STATIC_URL}/{path}"


@lru_cache
def environment() -> Environment:
    """The page templates' Jinja2 environment (HTML autoescaped)."""
    env = Environment(loader=PackageLoader("maps", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.globals["static"] = static_url
    return env


def render_page(template: str, **context: Any) -> str:
    """Render ``maps/templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)
