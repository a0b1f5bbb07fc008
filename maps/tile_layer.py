"""The network drawn from the app's vector tiles (``/tiles/{z}/{x}/{y}.pbf``, :mod:`gis.tiles`)
when a served map holds too many segments to send as data (``TELECOM_GIS_MAP_TILES_ABOVE``).

One ``L.segmentTiles`` layer (``maps/static/pages/segment-tiles.js`` on Leaflet.VectorGrid,
vendored under ``maps/static/vendor/leaflet.vectorgrid``) for all the map's operators (one tile
read serves them all: a layer per operator would read each tile's area once per operator),
asking for the map's ``operator`` and ``as_of`` tiles with the page's session cookie; each
operator keeps its ``folium.FeatureGroup`` in the layer control, and switching one off draws
the tiles again without its features (from the browser's cache). Drawn on canvas tiles with
the classes' colours and weights (:class:`maps.segment_layer.SegmentClass`, from
:mod:`gis.choices`). A tooltip tells
what is under the pointer (``featureAt``: the tiles let the pointer through to the commune
layers beneath): from zoom 14 the segment (route, operator, length, class, id),
below it the operator x class aggregate of the tile (segments and km).

When the first tiles of every operator layer have loaded the page sets ``window.telecomGis =
{tiles: true, segments, tilesLoaded, ready: true, readyMs}`` (``segments``: active segments on
the date, from the summary), as the data-driven layer does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

import folium
from jinja2 import Template

from gis.queries.map_data import MapScope
from gis.tiles.summary import NetworkSummary
from maps.pages import static_url
from maps.segment_layer import TIP_CSS, RawMacroElement, SegmentClass, js_json, operator_groups

#: The scripts of the tile layer (under maps/static): the vendored Leaflet.VectorGrid (pbf and
#: vector-tile decoders bundled) and our L.segmentTiles on it (shared with the viewer).
SCRIPTS = ("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
           "pages/segment-tiles.js")
#: The tile URL template of the app (the route of :mod:`api.routers.tiles`).
TILE_PATH = "/tiles/{z}/{x}/{y}.pbf"


def tile_url(scope: MapScope) -> str:
    """The tile URL template of the map's operators (all when none are chosen) on
    ``scope.as_of``."""
    query = [("operator", code) for code in scope.operators]
    return TILE_PATH + "?" + urlencode([*query, ("as_of", scope.as_of.isoformat())])


class TileSegmentLayer(RawMacroElement):
    """Fills each operator's group with that operator's vector-tile layer (module docstring)."""

    _template = Template("""
{% macro header(this, kwargs) %}
{% for url in this.script_urls %}<script src="{{ url }}"></script>
{% endfor %}
<style>
  .tg-tip { width: max-content; max-width: min(20rem, 80vw); white-space: normal;
            font: 13px/1.35 system-ui, sans-serif; }
  .tg-swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.35em;
               vertical-align: -0.1em; border-radius: 2px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var groups = [{% for g in this.groups %}{{ g.get_name() }}{{ "," if not loop.last }}{% endfor %}];
  var d = {{ this.payload }};
  var t = d.texts, classes = {}, operators = {};
  window.telecomGisMap = map;
  d.classes.forEach(function (k) { classes[k.key] = k; });
  d.operators.forEach(function (o) { operators[o[0]] = o; });

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function num(v, digits) {
    return v.toLocaleString(d.lang, {maximumFractionDigits: digits});
  }
  function style(props) {
    var k = classes[props['class']] || d.classes[0];
    return {color: k.colour, weight: k.weight, opacity: 0.9, lineCap: 'round'};
  }
  function content(props, id) {
    var k = classes[props['class']] || d.classes[0];
    var o = operators[props.operator] || [props.operator];
    var swatch = '<span class="tg-swatch" style="background:' + k.colour + '"></span>' +
      esc(k.label);
    if (props.segments !== undefined) {
      return ['<b>' + esc(o[1] || o[0]) + '</b>', swatch,
              esc(t.segments.replace('{count}', num(props.segments, 0))
                             .replace('{km}', num(props.length_m / 1000, 1)))].join('<br>');
    }
    return ['<b>' + esc(props.route || t.no_route) + '</b>',
            esc(t.operator) + ': ' + esc(o[1] || o[0]),
            esc(t.length) + ': ' + num(props.length_m, 1) + ' m', swatch,
            esc(t.segment) + ' #' + id].join('<br>');
  }

  // One tile layer for every operator (one tile read serves them all); an operator whose
  // layer is switched off in the layer control is left out when the tiles are drawn again.
  var hidden = {};
  function visible(props) { return !hidden[props.operator]; }
  var layer = L.segmentTiles(d.url, {style: function (props) {
    return visible(props) ? style(props) : [];
  }}).addTo(map);
  map.on('overlayadd overlayremove', function (e) {
    var i = groups.indexOf(e.layer);
    if (i < 0) return;
    hidden[d.operators[i][0]] = e.type === 'overlayremove';
    layer.redraw();
  });

  var tip = L.tooltip({direction: 'top', offset: [0, -6], className: 'tg-tip'});
  function show(e) {
    var props = layer.featureAt(e.latlng);
    if (!props || !visible(props)) { map.closeTooltip(tip); return; }
    tip.setLatLng(e.latlng).setContent(content(props, props.id));
    if (!map.hasLayer(tip)) map.openTooltip(tip);
  }
  map.on('mousemove click', show);
  var tiles = 0;
  layer.on('tileload', function () {
    tiles += 1;
    if (window.telecomGis && window.telecomGis.tiles) window.telecomGis.tilesLoaded = tiles;
  });
  layer.once('load', function () {
    window.telecomGis = Object.assign(window.telecomGis || {}, {
      tiles: true, segments: d.total, tilesLoaded: tiles, ready: true,
      readyMs: Math.round(performance.now())});
  });

  if (d.extent) {
    map.fitBounds([[d.extent[1], d.extent[0]], [d.extent[3], d.extent[2]]], {padding: [12, 12]});
  }{% if this.fallback %} else if ({{ this.fallback.get_name() }}.getLayers().length) {
    map.fitBounds({{ this.fallback.get_name() }}.getBounds(), {padding: [12, 12]});
  }{% endif %}
})();
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any], groups: Sequence[folium.FeatureGroup],
                 fallback: folium.FeatureGroup | None = None) -> None:
        super().__init__()
        self._name = "TileSegmentLayer"
        self.payload = js_json(payload)
        self.groups = list(groups)
        self.fallback = fallback
        self.script_urls = [static_url(path) for path in SCRIPTS]
        self.tip_css = TIP_CSS


def add_tile_layer(
    m: folium.Map, summary: NetworkSummary, scope: MapScope, *,
    classes: Sequence[SegmentClass], group_label: str, texts: dict[str, str], lang: str,
    fallback: folium.FeatureGroup | None = None, count_format: Callable[[int], str] = str,
) -> dict[int, folium.FeatureGroup]:
    """Add one (empty) layer per operator with segments to the layer control (named as
    :func:`maps.segment_layer.add_segment_layer` names them) and the tile layer drawing the
    operators whose layer is on, on ``scope.as_of``; returns the layers by operator id."""
    groups = operator_groups(m, summary.by_operator(), summary.operators, group_label,
                             count_format)
    order = list(groups)
    payload = {
        "url": tile_url(scope),
        "operators": [list(summary.operators[o]) for o in order],
        "classes": [asdict(c) for c in classes],
        "texts": texts,
        "lang": lang,
        "total": summary.segments,
        "extent": list(summary.extent) if summary.extent else None,
    }
    m.add_child(TileSegmentLayer(payload, [groups[o] for o in order], fallback))
    return groups
