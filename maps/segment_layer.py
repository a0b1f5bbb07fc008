"""Many cable segments on a folium map, fast: compact data, one style function, canvas.

``folium.GeoJson`` with a per-feature ``style_function`` writes every feature's style into the
page (a 100,000-case JavaScript switch) and lets Leaflet build one layer per feature; at 100,000
segments that is tens of MB and tens of seconds in a browser. :class:`SegmentLayer` instead
sends:

- geometry as Google encoded polylines (PostGIS ``ST_AsEncodedPolyline``, 1e-5 degree);
- properties as small column arrays: segment ids as differences, operator, route, class and
  history as indexes into lookup tables sent once (route codes and names, operator names,
  distinct placement histories), lengths as integer decimetres;
- the classes (label, colour, line weight, from :mod:`gis.choices`) once, as a small table read
  by ONE JavaScript style function.

In the browser the segments of one operator and one class become ONE multi-part
``L.polyline`` in that operator's layer (a ``folium.FeatureGroup``, listed in the layer
control), drawn on Leaflet's canvas renderer (``prefer_canvas``). A tooltip is built only when
the pointer is on a line (or a finger taps it): the nearest segment of that line is found in
the arrays, and its route, operator, length, class and history are formatted then.

When the segments are drawn the page sets ``window.telecomGis = {drawn, segments, ready:
true, readyMs}`` (``drawn``: segments in the lines Leaflet put on the map; ``readyMs``:
milliseconds since the navigation started), which tests and the benchmark wait for;
``window.telecomGisMap`` is the Leaflet map.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from markupsafe import escape

from gis.queries.map_data import MapSegments


@dataclass(frozen=True)
class SegmentClass:
    """How one class of segments is drawn and named: ``key`` (e.g. a PlacementClass value),
    ``label`` (in the map's language), ``colour`` (CSS) and line ``weight`` (pixels)."""

    key: str
    label: str
    colour: str
    weight: float = 3.0


def js_json(value: Any) -> str:
    """``value`` as JSON that is safe inside an HTML ``<script>`` element (``<``, ``>``, ``&``
    and the JavaScript line separators escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def layer_name(text: str) -> str:
    """``text`` (data: an operator's name or code) made safe as a layer name. Leaflet's layer
    control writes a layer's name with ``innerHTML``, and branca renders folium's script again
    as a Jinja template, so a name holding ``<img onerror=...>`` would run in the browser and
    one holding ``{{ ... }}`` would run on the server. HTML is escaped and every ``{`` becomes
    ``&#123;`` (the layer control shows it as ``{``)."""
    return str(escape(text)).replace("{", "&#123;")


def _indexed(values: Sequence[Any]) -> tuple[list[int], list[Any]]:
    """Each value's index in the list of distinct values (in order of first appearance)."""
    table: dict[Any, int] = {}
    return [table.setdefault(v, len(table)) for v in values], list(table)


def segment_payload(
    segments: MapSegments, *, classes: Sequence[SegmentClass], class_keys: Sequence[str],
    operator_order: Sequence[int], history_labels: dict[str, str] | None, texts: dict[str, str],
    lang: str,
) -> dict[str, Any]:
    """The compact arrays the browser needs (see the module docstring). ``class_keys`` is each
    segment's class key; ``operator_order`` the operator ids in the order of their layers."""
    class_index = {c.key: i for i, c in enumerate(classes)}
    operator_index = {operator_id: i for i, operator_id in enumerate(operator_order)}
    route_keys = [r if r is not None else -1 for r in segments.route_ids]
    route_index, route_ids = _indexed(route_keys)
    payload: dict[str, Any] = {
        "lines": segments.polylines,
        "ids": [b - a for a, b in pairwise([0, *segments.ids])],
        "op": [operator_index[o] for o in segments.operator_ids],
        "cls": [class_index[k] for k in class_keys],
        "len": [round(m * 10) for m in segments.lengths_m],
        "route": route_index,
        "routes": [list(segments.routes.get(r, ("", None))) if r != -1 else None
                   for r in route_ids],
        "operators": [list(segments.operators[o]) for o in operator_order],
        "classes": [asdict(c) for c in classes],
        "texts": texts,
        "lang": lang,
    }
    if history_labels is not None and segments.histories:
        payload["hist"], payload["histories"] = _indexed(segments.histories)
        payload["histLabels"] = history_labels
    return payload


class _Raw(Element):
    """Text put into the page as it is. (branca compiles an ``Element``'s text as a Jinja
    template and renders it again: data holding ``{{``, as encoded polylines can, would break
    the page, and compiling megabytes of data is slow.)"""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text, unchanged."""
        return self.text


class RawMacroElement(MacroElement):
    """A MacroElement (``header``, ``html``, ``script`` macros) whose rendered macros go into
    the page without being rendered again as templates (see :class:`_Raw`)."""

    def render(self, **kwargs: Any) -> None:
        """Put the rendered macros in the page's header, body and script, then the children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise ValueError(f"{type(self).__name__} must be added to a map first")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            if part in macros:
                getattr(figure, part).add_child(_Raw(macros[part](self, kwargs)),
                                                name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


#: The style of the segment tooltips (class ``tg-tip``, colour swatch ``tg-swatch``), shared
#: by the layers drawing segments from data and from tiles (:mod:`maps.tile_layer`).
TIP_CSS = """<style>
  .tg-tip { width: max-content; max-width: min(20rem, 80vw); white-space: normal;
            font: 13px/1.35 system-ui, sans-serif; }
  .tg-swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.35em;
               vertical-align: -0.1em; border-radius: 2px; }
</style>"""


class SegmentLayer(RawMacroElement):
    """Draws :class:`MapSegments` into one ``folium.FeatureGroup`` per operator (see the module
    docstring). Add it to the map after the groups; :func:`add_segment_layer` does both."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var groups = [{% for g in this.groups %}{{ g.get_name() }}{{ "," if not loop.last }}{% endfor %}];
  var d = {{ this.payload }};
  window.telecomGisMap = map;
  var t = d.texts, n = d.lines.length, pts = new Array(n), ids = new Array(n);
  var south = 90, west = 180, north = -90, east = -180, id = 0, buckets = {};

  function decode(str) {
    var i = 0, lat = 0, lng = 0, out = [], b, shift, result;
    while (i < str.length) {
      shift = 0; result = 0;
      do { b = str.charCodeAt(i++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lat += (result & 1) ? ~(result >> 1) : (result >> 1);
      shift = 0; result = 0;
      do { b = str.charCodeAt(i++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lng += (result & 1) ? ~(result >> 1) : (result >> 1);
      out.push([lat / 1e5, lng / 1e5]);
    }
    return out;
  }

  for (var i = 0; i < n; i++) {
    id += d.ids[i]; ids[i] = id;
    var p = decode(d.lines[i]);
    pts[i] = p;
    for (var v = 0; v < p.length; v++) {
      if (p[v][0] < south) south = p[v][0];
      if (p[v][0] > north) north = p[v][0];
      if (p[v][1] < west) west = p[v][1];
      if (p[v][1] > east) east = p[v][1];
    }
    var key = d.cls[i] * groups.length + d.op[i];
    var bucket = buckets[key] || (buckets[key] = {g: d.op[i], c: d.cls[i], parts: [], idx: []});
    bucket.parts.push(p);
    bucket.idx.push(i);
  }

  function style(c) {
    var k = d.classes[c];
    return {color: k.colour, weight: k.weight, opacity: 0.9, lineCap: 'round'};
  }

  var lines = [];
  Object.keys(buckets).map(Number).sort(function (a, b) { return a - b; }).forEach(function (key) {
    var b = buckets[key], line = L.polyline(b.parts, style(b.c));
    line.tgIdx = b.idx;
    groups[b.g].addLayer(line);
    lines.push(line);
  });

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function history(h) {
    return h.split(' → ').map(function (token) {
      var cut = token.indexOf(' '), cls = token.slice(cut + 1);
      return esc(token.slice(0, cut)) + ' ' + esc(d.histLabels[cls] || cls);
    }).join(' → ');
  }
  function metres(dm) {
    return (dm / 10).toLocaleString(d.lang, {maximumFractionDigits: 1}) + ' m';
  }
  function content(i) {
    var r = d.routes[d.route[i]], o = d.operators[d.op[i]], k = d.classes[d.cls[i]];
    var rows = [
      '<b>' + esc(r ? r[0] + (r[1] && r[1] !== r[0] ? ' · ' + r[1] : '') : t.no_route) + '</b>',
      esc(t.operator) + ': ' + esc(o[1] || o[0]),
      esc(t.length) + ': ' + metres(d.len[i]),
      '<span class="tg-swatch" style="background:' + k.colour + '"></span>' + esc(k.label)];
    if (d.hist) rows.push(esc(t.history) + ': ' + history(d.histories[d.hist[i]]));
    rows.push(esc(t.segment) + ' #' + ids[i]);
    return rows.join('<br>');
  }
  function nearest(line, at) {
    var idx = line.tgIdx, best = -1, bestD = Infinity, k = Math.cos(at.lat * Math.PI / 180);
    var x = at.lng * k, y = at.lat;
    for (var j = 0; j < idx.length; j++) {
      var p = pts[idx[j]];
      for (var v = 1; v < p.length; v++) {
        var ax = p[v - 1][1] * k, ay = p[v - 1][0], bx = p[v][1] * k, by = p[v][0];
        var dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, u = 0;
        if (len2 > 0) u = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
        var ex = ax + u * dx - x, ey = ay + u * dy - y, dist = ex * ex + ey * ey;
        if (dist < bestD) { bestD = dist; best = idx[j]; }
      }
    }
    return best;
  }

  var tip = L.tooltip({direction: 'top', offset: [0, -6], className: 'tg-tip'}), tapped = null;
  function show(e) {
    var line = e.propagatedFrom || e.layer;
    if (!line || !line.tgIdx) return;
    var i = nearest(line, e.latlng);
    if (i < 0) return;
    if (e.type === 'click') tapped = e.originalEvent;
    tip.setLatLng(e.latlng).setContent(content(i));
    if (!map.hasLayer(tip)) map.openTooltip(tip);
  }
  groups.forEach(function (g) {
    g.on('mousemove click', show);
    g.on('mouseout', function () { map.closeTooltip(tip); });
  });
  map.on('click', function (e) { if (e.originalEvent !== tapped) map.closeTooltip(tip); });

  if (n) {
    map.fitBounds([[south, west], [north, east]], {padding: [12, 12]});
  }{% if this.fallback %} else if ({{ this.fallback.get_name() }}.getLayers().length) {
    map.fitBounds({{ this.fallback.get_name() }}.getBounds(), {padding: [12, 12]});
  }{% endif %}

  var drawn = 0;
  lines.forEach(function (line) { if (map.hasLayer(line)) drawn += line.getLatLngs().length; });
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    window.telecomGis = Object.assign(window.telecomGis || {}, {
      drawn: drawn, segments: n, ready: true, readyMs: Math.round(performance.now())});
  }); });
})();
{% endmacro %}
{% macro header(this, kwargs) %}
{{ this.tip_css }}
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any], groups: Sequence[folium.FeatureGroup],
                 fallback: folium.FeatureGroup | None = None) -> None:
        super().__init__()
        self._name = "SegmentLayer"
        self.tip_css = TIP_CSS
        self.payload = js_json(payload)
        self.groups = list(groups)
        self.fallback = fallback


def add_segment_layer(
    m: folium.Map, segments: MapSegments, *, classes: Sequence[SegmentClass],
    class_keys: Sequence[str], group_label: str, history_labels: dict[str, str] | None,
    texts: dict[str, str], lang: str, fallback: folium.FeatureGroup | None = None,
    count_format: Callable[[int], str] = str,
) -> dict[int, folium.FeatureGroup]:
    """Add one layer per operator with segments (``group_label``, HTML text of ours, formatted
    with ``name``, ``code`` and ``count``, the latter written by ``count_format``, each made
    safe by :func:`layer_name`), then the
    :class:`SegmentLayer` filling them; returns the layers by operator id. ``fallback``: a
    layer whose bounds the map fits when there is no segment."""
    counts: dict[int, int] = {}
    for operator_id in segments.operator_ids:
        counts[operator_id] = counts.get(operator_id, 0) + 1
    groups = operator_groups(m, counts, segments.operators, group_label, count_format)
    order = list(groups)
    payload = segment_payload(segments, classes=classes, class_keys=class_keys,
                              operator_order=order, history_labels=history_labels, texts=texts,
                              lang=lang)
    m.add_child(SegmentLayer(payload, [groups[o] for o in order], fallback))
    return groups


def operator_groups(m: folium.Map, counts: dict[int, int],
                    operators: dict[int, tuple[str, str]], group_label: str,
                    count_format: Callable[[int], str] = str) -> dict[int, folium.FeatureGroup]:
    """One layer (``folium.FeatureGroup``, in the layer control) per operator id of
    ``counts`` (segments), by operator code, named ``group_label`` formatted with ``name``,
    ``code`` and ``count`` (written by ``count_format``), each made safe by
    :func:`layer_name`."""
    groups = {}
    for operator_id in sorted(counts, key=lambda o: operators[o][0]):
        code, name = operators[operator_id]
        label = group_label.format(name=layer_name(name or code), code=layer_name(code),
                                   count=layer_name(count_format(counts[operator_id])))
        groups[operator_id] = folium.FeatureGroup(name=label, overlay=True, control=True,
                                                  show=True).add_to(m)
    return groups


def class_summary(classes: Sequence[SegmentClass], class_keys: Sequence[str],
                  lengths_m: Sequence[float]) -> dict[str, tuple[int, float]]:
    """Segments and km per class key, for the legend."""
    counts = {c.key: 0 for c in classes}
    metres = {c.key: 0.0 for c in classes}
    for key, length in zip(class_keys, lengths_m, strict=True):
        counts[key] += 1
        metres[key] += length
    return {key: (counts[key], metres[key] / 1000) for key in counts}
