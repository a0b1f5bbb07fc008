"""The field inspectors' viewer (``/viewer``): the page's data and its service worker.

The page (``maps/templates/viewer.html`` + ``maps/static/pages/viewer*.js``) is a mobile-first
Leaflet map that reads the API with the bearer token the login page keeps in localStorage. It
gets its vocabulary (labels in Vietnamese and English, map colours) from :mod:`gis.choices`
through :func:`viewer_context`, so no label or colour is written twice.

The service worker (``maps/static/pages/viewer-sw.js``) caches the app shell (the page, its
scripts and styles, Leaflet) so the viewer opens with no network. :func:`service_worker_js`
prefixes it with the list of shell URLs and a version made from their contents: when any shell
file changes, the worker's bytes change, so browsers install the new one and refresh the cache;
the page asks for its scripts with that version (``?v=``), so a new page never runs an older
script kept by the previous worker.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from gis.choices import (
    LABELS,
    ComplianceState,
    ItemResult,
    Lifecycle,
    Placement,
    PlacementClass,
    PlacementKind,
    Severity,
    ViolationState,
)
from gis.settings import Settings
from maps.pages import STATIC_DIR, static_url

#: URL of the page, and the scope its service worker controls.
VIEWER_PATH = "/viewer"
#: URL the service worker is served at (its scope is widened to :data:`VIEWER_PATH` by the
#: ``Service-Worker-Allowed`` header).
SERVICE_WORKER_PATH = "/viewer/sw.js"

#: The page's own scripts, in load order (each under ``maps/static``).
SCRIPTS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "pages/segment-tiles.js",
    "pages/viewer-i18n.js",
    "pages/viewer-dom.js",
    "pages/viewer-store.js",
    "pages/viewer-api.js",
    "pages/viewer-queue.js",
    "pages/viewer-map.js",
    "pages/viewer-forms.js",
    "pages/viewer-campaign.js",
    "pages/viewer-sync.js",
    "pages/viewer.js",
)
STYLES = ("vendor/leaflet/leaflet.css", "pages/viewer.css")
#: Other files of the shell: the base template's style sheet, Leaflet's images.
EXTRA_SHELL = (
    "pages/common.css",
    "vendor/leaflet/images/layers.png",
    "vendor/leaflet/images/layers-2x.png",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
)
_WORKER_FILE = "pages/viewer-sw.js"
#: The page's templates (part of the shell's version).
TEMPLATE_DIR = Path(__file__).parent / "templates"
_TEMPLATES = ("base.html", "viewer.html")

#: The vocabularies the page shows, by the name the scripts use.
VOCABULARIES: dict[str, type[StrEnum]] = {
    "compliance": ComplianceState,
    "placement_class": PlacementClass,
    "placement": Placement,
    "placement_kind": PlacementKind,
    "lifecycle": Lifecycle,
    "result": ItemResult,
    "severity": Severity,
    "violation_state": ViolationState,
}


def vocabulary() -> dict[str, list[dict[str, str]]]:
    """``{name: [{"value", "vi", "en", "colour"}, ...]}`` for :data:`VOCABULARIES`, from
    :data:`gis.choices.LABELS`, in each enum's order (lists: the page's JSON sorts keys)."""
    return {
        name: [{"value": member.value, "vi": LABELS[member].vi, "en": LABELS[member].en,
                "colour": LABELS[member].colour} for member in enum]
        for name, enum in VOCABULARIES.items()
    }


@lru_cache
def shell_version() -> str:
    """16 hex digits of the SHA-256 of the shell's files (scripts, styles, images, templates,
    worker). Cached for the process: the files do not change while the app runs."""
    digest = hashlib.sha256()
    files = [STATIC_DIR / p for p in (*STYLES, *SCRIPTS, *EXTRA_SHELL, _WORKER_FILE)]
    files += [TEMPLATE_DIR / name for name in _TEMPLATES]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _versioned(path: str) -> str:
    """URL of a shell file with the shell's version (``?v=``): a page of a new version never
    gets an older script from a cache."""
    return f"{static_url(path)}?v={shell_version()}"


def viewer_context(settings: Settings, *, username: str, role: str) -> dict[str, Any]:
    """Template context of ``viewer.html``: asset URLs (versioned) and the page data (JSON-able)
    with the base-map tiles (``tile_url`` may be empty: no base map), the vocabulary, the
    largest photo accepted (bytes) and who is signed in."""
    return {
        "scripts": [_versioned(path) for path in SCRIPTS],
        "styles": [_versioned(path) for path in STYLES],
        "data": {
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
            "photo_max_bytes": settings.photo_max_bytes,
            "vocabulary": vocabulary(),
            "user": {"username": username, "role": role},
            "service_worker": SERVICE_WORKER_PATH,
            "scope": VIEWER_PATH,
        },
    }


def shell_urls() -> list[str]:
    """The URLs the service worker stores for offline use: the page and every asset it loads
    (the page's own scripts and styles with their version)."""
    return [VIEWER_PATH, *(_versioned(p) for p in (*STYLES, *SCRIPTS)),
            *(static_url(p) for p in EXTRA_SHELL)]


@lru_cache
def service_worker_js() -> str:
    """The service worker's source: the shell URLs and their version, then the worker
    (``maps/static/pages/viewer-sw.js``)."""
    header = (f"const SHELL = {json.dumps(shell_urls())};\n"
              f"const VERSION = {json.dumps(shell_version())};\n"
              f"const SCOPE = {json.dumps(VIEWER_PATH)};\n")
    return header + (STATIC_DIR / _WORKER_FILE).read_text("utf-8")
