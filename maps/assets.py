"""folium pages that load nothing from a CDN: every script and style sheet comes from the app.

folium elements name their assets in ``default_js`` / ``default_css`` lists of ``(name, CDN
url)``. :func:`render_html` renders a folium map or figure with each name we use replaced by
our vendored copy under ``maps/static/vendor`` (pinned by ``scripts/vendor-assets.sh``), the
names our maps do not use dropped (Bootstrap, Font Awesome, awesome-markers, glyphicons: no
AwesomeMarker icons here), and any other name refused with :class:`ExternalAssetError`. The
rendered page is then checked: an ``http(s)://`` URL other than the ones explicitly allowed
(the base-map tile template and its attribution links) raises :class:`ExternalAssetError` too,
so a CDN link is never shipped silently.

Two modes:

- ``"url"``: pages served by the API link ``/static/vendor/...``;
- ``"inline"``: a standalone file (the CLI's ``--out FILE.html``): scripts and style sheets are
  inlined, the images their CSS refers to become ``data:`` URIs, so the file works from disk
  with no network at all.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Literal

from branca.element import Element, Figure

from maps.pages import STATIC_DIR, STATIC_URL, static_url

Mode = Literal["url", "inline"]

#: folium asset name -> vendored file under maps/static.
VENDORED: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    # folium's own Popup and "keep in front" code call jQuery ($).
    "jquery": "vendor/jquery/jquery.min.js",
    "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
}

#: folium asset names our maps do not use: left out of the page.
UNUSED: frozenset[str] = frozenset({
    "bootstrap", "bootstrap_css",  # folium's core elements need neither
    "awesome_markers", "awesome_markers_css", "awesome_rotate_css",  # AwesomeMarker icons
    "awesome_markers_font_css",  # Font Awesome
    "glyphicons_css",  # Bootstrap 3 icons for AwesomeMarker
})

_URL = re.compile(r"""https?://[^\s"'<>()\\`]+""")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*(//|/\*)# sourceMappingURL=.*$", re.MULTILINE)


class ExternalAssetError(ValueError):
    """A page would load something from outside the app (an unknown folium asset, or an
    ``http(s)://`` URL that is not explicitly allowed)."""


def render_html(element: Element, mode: Mode = "url", *, allowed: Iterable[str] = ()) -> str:
    """Render ``element``'s whole page (its root :class:`~branca.element.Figure`) as HTML that
    loads scripts and styles only from the app (``mode="url"``) or from nowhere at all
    (``mode="inline"``).

    ``allowed`` are texts whose URLs the page may contain (the tile URL template, the tile
    attribution). Raises :class:`ExternalAssetError` for an asset name that is neither vendored
    nor known to be unused, or for any other URL in the rendered page.
    """
    if mode not in ("url", "inline"):
        raise ValueError(f"mode must be 'url' or 'inline', not {mode!r}")
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise ValueError("the element is not part of a folium/branca Figure")
    js, css = _local_assets(figure)
    header = figure.header
    header.add_child(Element('<link rel="icon" href="data:,">'), name="favicon")
    tags: dict[str, str] = {}
    for name in js:
        tags[name] = f'<script src="{static_url(VENDORED[name])}"></script>'
    for name in css:
        tags[name] = f'<link rel="stylesheet" href="{static_url(VENDORED[name])}">'
    for name, tag in tags.items():
        header.add_child(Element(tag), name=name)
    html = figure.render()
    if "L.AwesomeMarkers" in html:
        raise ExternalAssetError("AwesomeMarker icons (folium.Icon) need Font Awesome and "
                                 "awesome-markers, which are not vendored: use a DivIcon")
    check_urls(html, allowed)
    if mode == "inline":
        for name, tag in tags.items():
            html = html.replace(tag, _inline_tag(VENDORED[name]), 1)
        leftover = re.search(rf"""["'(]{re.escape(STATIC_URL)}/""", html)
        if leftover:
            raise ExternalAssetError(f"inline page still refers to {STATIC_URL}/ "
                                     f"near {html[leftover.start():leftover.start() + 80]!r}")
    return html


def check_urls(html: str, allowed: Iterable[str] = ()) -> None:
    """Raise :class:`ExternalAssetError` for the first ``http(s)://`` URL in ``html`` that is
    not one of the URLs in the ``allowed`` texts."""
    permitted = {url for text in allowed for url in _URL.findall(text or "")}
    for match in _URL.finditer(html):
        if match.group(0) not in permitted:
            context = html[max(0, match.start() - 60):match.end() + 20]
            raise ExternalAssetError(
                f"the page would load {match.group(0)!r} from outside the app "
                f"(near {context!r}); vendor it under maps/static/vendor or allow it")


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _local_assets(figure: Figure) -> tuple[list[str], list[str]]:
    """Asset names (JS, CSS) the figure's elements need, in page order; ExternalAssetError for
    an unknown name. Each element's lists are emptied, so that folium adds no CDN link of its
    own, and kept aside on the element, so that the page can be rendered again."""
    js: list[str] = []
    css: list[str] = []
    for element in _walk(figure):
        kept = element.__dict__.setdefault("_vendored_assets", {})
        for attribute, names in (("default_js", js), ("default_css", css)):
            if attribute not in kept:
                kept[attribute] = list(getattr(element, attribute, None) or [])
            for name, url in kept[attribute]:
                if name in UNUSED:
                    continue
                if name not in VENDORED:
                    raise ExternalAssetError(
                        f"{type(element).__name__} wants the asset {name!r} from {url}, which "
                        "is not vendored under maps/static/vendor (add it to "
                        "maps.assets.VENDORED, or to UNUSED if the maps do not need it)")
                if name not in names:
                    names.append(name)
            if kept[attribute]:
                setattr(element, attribute, [])
    return js, css


def _inline_tag(path: str) -> str:
    """The ``<script>`` or ``<style>`` element holding the vendored file ``path``."""
    if path.endswith(".js"):
        return f"<script>{_inline_js(path)}</script>"
    return f"<style>{_inline_css(path)}</style>"


@lru_cache
def _inline_js(path: str) -> str:
    """The script ``path`` without its source-map comment, unable to close its element."""
    code = _SOURCE_MAP.sub("", (STATIC_DIR / path).read_text("utf-8"))
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


@lru_cache
def _inline_css(path: str) -> str:
    """The style sheet ``path`` with its relative ``url(...)`` images as ``data:`` URIs."""
    base = PurePosixPath(path).parent

    def data_uri(match: re.Match) -> str:
        target = match.group(2).strip()
        if target.startswith(("data:", "#")):
            return match.group(0)
        if re.match(r"^[a-z]+:|^//", target, re.IGNORECASE):
            raise ExternalAssetError(f"{path} refers to {target!r} outside the app")
        file = STATIC_DIR / (base / target.split("?")[0].split("#")[0])
        if not file.is_file():
            raise ExternalAssetError(f"{path} refers to {target!r}, which is not vendored")
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        encoded = base64.b64encode(file.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{encoded}")'

    text = _SOURCE_MAP.sub("", (STATIC_DIR / path).read_text("utf-8"))
    return re.sub(r"</(style)", r"<\\/\1", _CSS_URL.sub(data_uri, text), flags=re.IGNORECASE)
