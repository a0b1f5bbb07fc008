"""The progress map: where cable is overhead, tidied or underground, and how far each commune
has come against its plan.

One folium map (``telecom-gis map progress``, ``GET /maps/progress``) with:

(a) the **placement map**: active segments coloured by :class:`gis.choices.PlacementClass`
    (overhead not tidied, overhead tidied, underground), one layer per operator in the layer
    control, a legend with segments and km per class, and tooltips (route, operator, length,
    class, placement history) built on demand (:mod:`maps.segment_layer`); a page the app
    serves with more than ``settings.map_tiles_above`` segments draws them from the app's
    vector tiles instead, in the same colours, with the same legend and layers
    (:mod:`maps.tile_layer`; figures from :mod:`gis.tiles.summary`);
(b) the **commune choropleth** as a toggleable layer of the same map (off at first, listed in
    the layer control): each commune in force on the date filled by the share of its cable
    length that runs underground, labelled with that share and the year's plan target (km),
    with the plan's target and achieved km in its tooltip and the legend.

The commune outlines are always drawn as a vector layer, so with no base map (tiles failing, or
``TELECOM_GIS_TILE_URL`` empty) the network and the communes still show. Base tiles come from
``settings.tile_url`` with ``settings.tile_attribution``. The shared pieces (base map, legend,
commune outlines, language texts, :class:`MapPage`) are used by :mod:`maps.compliance_map` too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from folium.utilities import JsCode
from jinja2 import Template
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from gis.choices import AdminLevel, PlacementClass, colour, label
from gis.queries.map_data import (
    CommuneFigures,
    MapFilter,
    MapScope,
    MapSegments,
    map_communes,
    map_segments,
    resolve_filter,
)
from gis.settings import Settings
from gis.tiles.summary import count_active, network_summary
from maps.assets import Mode, render_html
from maps.segment_layer import (
    RawMacroElement,
    SegmentClass,
    add_segment_layer,
    class_summary,
    js_json,
)
from maps.tile_layer import add_tile_layer

#: The one canvas renderer every vector layer shares (so the segments, drawn last, are hit
#: first and the choropleth under them still gets the pointer); a finger gets a wider margin.
CANVAS = "L.canvas({padding: 0.5, tolerance: L.Browser.touch ? 10 : 3})"
#: Where the map opens before it fits the data (Thái Bình city, lat/lon).
DEFAULT_CENTRE = (20.447, 106.340)
#: Upper bounds of the choropleth's classes of underground share (the last class is up to 1).
SHARE_BREAKS = (0.2, 0.4, 0.6, 0.8)
#: Sequential fill colours of those classes (ColorBrewer Blues, 5 classes).
SHARE_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
#: Fill of a commune with no active cable (in the filter) on the date.
NO_CABLE_COLOUR = "#f0f0f0"
#: Placement classes in drawing order: the last is drawn on top.
PLACEMENT_ORDER = (PlacementClass.UNDERGROUND, PlacementClass.OVERHEAD_TIDIED,
                   PlacementClass.OVERHEAD_UNTIDIED)
LANGUAGES = ("vi", "en")

#: Words of the maps that are not state labels (those come from gis.choices).
TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "progress_title": "Tiến độ ngầm hóa, chỉnh trang cáp viễn thông",
        "compliance_title": "Tuân thủ QCVN 33:2019/BTTTT của cáp viễn thông",
        "as_of": "Đến hết ngày {date}",
        "operators": "Doanh nghiệp",
        "commune": "Xã/phường",
        "placement_section": "Hiện trạng cáp",
        "compliance_section": "Tình trạng tuân thủ",
        "group_label": "{name} ({count} đoạn)",
        "segments": "{count} đoạn · {km} km",
        "communes_outline": "Ranh giới xã/phường",
        "choropleth": "Tỷ lệ cáp ngầm theo xã/phường",
        "share_title": "Tỷ lệ chiều dài cáp đi ngầm",
        "no_cable": "Không có cáp",
        "underground_of": "Ngầm {u} / {t} km ({s})",
        "plan": "Kế hoạch {year}",
        "plan_line": "{name}: mục tiêu {target} km, đã đạt {achieved} km",
        "plan_routes_only": "{name}: theo danh sách tuyến, đã đạt {achieved} km",
        "no_plan": "Chưa có kế hoạch ngầm hóa năm {year}",
        "plan_summary": "Kế hoạch {year}: {count} xã/phường, mục tiêu {target} km, "
                        "đã đạt {achieved} km",
        "label_note": "Nhãn: tỷ lệ ngầm · KH = mục tiêu kế hoạch năm (km)",
        "plan_short": "KH {target} km",
        "basemap": "Bản đồ nền",
        "operator": "Doanh nghiệp",
        "length": "Chiều dài",
        "history": "Lịch sử",
        "segment": "Đoạn",
        "no_route": "(không thuộc tuyến)",
        "violations_open": "Vi phạm đang mở, chưa quá hạn",
        "violations_overdue": "Vi phạm quá hạn khắc phục",
        "violations": "Vi phạm chưa khắc phục",
        "not_due": "Chưa quá hạn",
        "due": "Hạn khắc phục",
        "severity": "Mức độ",
        "state": "Trạng thái",
        "no_tiles": "Không có bản đồ nền: vẫn hiển thị mạng cáp và ranh giới.",
        "tiles_note": "Mạng cáp vẽ từ ô bản đồ vector; phóng to (mức 14) để xem từng đoạn.",
    },
    "en": {
        "progress_title": "Telecom cable undergrounding and tidying progress",
        "compliance_title": "Telecom cable compliance with QCVN 33:2019/BTTTT",
        "as_of": "As of the end of {date}",
        "operators": "Operators",
        "commune": "Commune",
        "placement_section": "Cable placement",
        "compliance_section": "Compliance state",
        "group_label": "{name} ({count} segments)",
        "segments": "{count} segments · {km} km",
        "communes_outline": "Commune boundaries",
        "choropleth": "Underground share by commune",
        "share_title": "Share of cable length underground",
        "no_cable": "No cable",
        "underground_of": "Underground {u} / {t} km ({s})",
        "plan": "Plan {year}",
        "plan_line": "{name}: target {target} km, achieved {achieved} km",
        "plan_routes_only": "{name}: listed routes, achieved {achieved} km",
        "no_plan": "No undergrounding plan for {year}",
        "plan_summary": "Plans {year}: {count} communes, target {target} km, "
                        "achieved {achieved} km",
        "label_note": "Labels: underground share · KH = the year's plan target (km)",
        "plan_short": "KH {target} km",
        "basemap": "Base map",
        "operator": "Operator",
        "length": "Length",
        "history": "History",
        "segment": "Segment",
        "no_route": "(no route)",
        "violations_open": "Open violations, not yet due",
        "violations_overdue": "Overdue violations",
        "violations": "Unresolved violations",
        "not_due": "Not yet due",
        "due": "Due",
        "severity": "Severity",
        "state": "State",
        "no_tiles": "No base map: the network and boundaries still show.",
        "tiles_note": "The network is drawn from vector tiles; zoom in (level 14) for single "
                      "segments.",
    },
}


def texts_for(lang: str) -> dict[str, str]:
    """The map words in ``lang`` ('vi' or 'en'); ValueError for another language."""
    if lang not in TEXTS:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return TEXTS[lang]


def number(value: float, lang: str, decimals: int = 1) -> str:
    """``value`` with ``decimals`` decimals and the language's separators (vi: 1.234,5)."""
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def percent(share: float, lang: str) -> str:
    """A 0..1 share as a whole percentage ("27 %")."""
    return f"{number(share * 100, lang, 0)} %"


# ---------------------------------------------------------------- the page

@dataclass
class MapPage:
    """A built map: the folium map, the texts whose URLs it may contain (tile template and
    attribution), and summary figures (for the CLI, the tests and the benchmark)."""

    map: folium.Map
    allowed: tuple[str, ...]
    figures: dict[str, Any] = field(default_factory=dict)

    def render(self, mode: Mode = "url") -> str:
        """The page's HTML: assets linked from ``/static`` (``"url"``) or inlined
        (``"inline"``, a standalone file); see :func:`maps.assets.render_html`."""
        return render_html(self.map, mode, allowed=self.allowed)


def base_map(settings: Settings, texts: dict[str, str], title: str) -> folium.Map:
    """An empty map drawing its vectors on one canvas (:data:`CANVAS`), with the configured base
    tiles (none when ``tile_url`` is empty) and the page title."""
    m = folium.Map(location=DEFAULT_CENTRE, zoom_start=13, tiles=None, prefer_canvas=True,
                   control_scale=True, renderer=JsCode(CANVAS))
    m.get_root().title = title
    if settings.tile_url:
        folium.TileLayer(tiles=settings.tile_url, attr=settings.tile_attribution or " ",
                         name=texts["basemap"], control=False, max_zoom=19).add_to(m)
    return m


def allowed_urls(settings: Settings) -> tuple[str, ...]:
    """The texts whose URLs a map page may contain: the tile template and its attribution."""
    return tuple(t for t in (settings.tile_url, settings.tile_attribution) if t)


@dataclass(frozen=True)
class LegendRow:
    """One legend line: a ``colour`` drawn as a ``shape`` (line, area, outline, dot, bigdot),
    a label and an optional detail (counts, km)."""

    colour: str
    label: str
    detail: str = ""
    shape: str = "line"


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend rows; with ``layer``, shown only while that layer is on."""

    title: str
    rows: tuple[LegendRow, ...]
    note: str = ""
    layer: folium.FeatureGroup | None = None


_LEGEND_HTML = Template("""<details class="tg-legend-box" open>
<summary>{{ title }}</summary>
<div class="tg-legend-sub">{{ subtitle }}</div>
{% for section in sections %}
<div class="tg-legend-section"{% if section.layer %} data-layer="{{ loop.index0 }}"{% endif %}>
<div class="tg-legend-title">{{ section.title }}</div>
{% for row in section.rows %}<div class="tg-legend-row">
<span class="tg-key tg-key-{{ row.shape }}" style="--c: {{ row.colour }}"></span>
<span class="tg-legend-label">{{ row.label }}</span>
{% if row.detail %}<span class="tg-legend-detail">{{ row.detail }}</span>{% endif %}
</div>{% endfor %}
{% if section.note %}<div class="tg-legend-note">{{ section.note }}</div>{% endif %}
</div>
{% endfor %}
<div class="tg-legend-note tg-offline" hidden>{{ offline }}</div>
</details>""", autoescape=True)


class Legend(RawMacroElement):
    """The map's legend (a Leaflet control, bottom right, collapsible); a section tied to a
    layer shows only while that layer is on the map."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .tg-legend { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 6px;
               box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.35 system-ui, sans-serif;
               max-width: 19rem; max-height: 60vh; overflow-y: auto; }
  .tg-legend summary { font-weight: 600; cursor: pointer; }
  .tg-legend-sub, .tg-legend-note { color: #555; margin: 2px 0 4px; }
  .tg-legend-title { font-weight: 600; margin-top: 6px; }
  .tg-legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
  .tg-legend-detail { margin-left: auto; color: #333; white-space: nowrap; }
  .tg-key { flex: none; display: inline-block; width: 18px; height: 12px; }
  .tg-key-line { height: 4px; background: var(--c); border-radius: 2px; }
  .tg-key-area { background: var(--c); border: 1px solid #999; }
  .tg-key-outline { border: 2px solid var(--c); height: 10px; }
  .tg-key-dot { width: 12px; height: 12px; border-radius: 50%; background: var(--c);
                border: 2px solid #fff; box-shadow: 0 0 0 1px #777; }
  .tg-key-bigdot { width: 16px; height: 16px; border-radius: 50%; background: var(--c);
                   border: 2px solid #fff; box-shadow: 0 0 0 2px var(--c); }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layers = [{% for s in this.sections %}{{ s.layer.get_name() if s.layer else "null" }}{{
    "," if not loop.last }}{% endfor %}];
  var control = L.control({position: 'bottomright'});
  control.onAdd = function () {
    var div = L.DomUtil.create('div', 'tg-legend leaflet-control');
    div.innerHTML = {{ this.html }};
    if (window.innerWidth < 600) div.querySelector('details').open = false;  // phones: folded
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo(map);
  function sync() {
    var sections = control.getContainer().querySelectorAll('[data-layer]');
    for (var i = 0; i < sections.length; i++) {
      var layer = layers[+sections[i].getAttribute('data-layer')];
      sections[i].hidden = !map.hasLayer(layer);
    }
  }
  map.on('overlayadd overlayremove layeradd layerremove', sync);
  sync();
  map.eachLayer(function (layer) {
    if (layer instanceof L.TileLayer) {
      layer.once('tileerror', function () {
        control.getContainer().querySelector('.tg-offline').hidden = false;
      });
    }
  });
})();
{% endmacro %}
""")

    def __init__(self, title: str, subtitle: str, sections: Sequence[LegendSection],
                 offline: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.sections = list(sections)
        self.html = js_json(_LEGEND_HTML.render(title=title, subtitle=subtitle,
                                                sections=self.sections, offline=offline))


def outline_row(texts: dict[str, str]) -> LegendRow:
    """The legend row of the commune outlines."""
    return LegendRow(colour(AdminLevel.COMMUNE), texts["communes_outline"], shape="outline")


def subtitle(texts: dict[str, str], scope: MapScope, lang: str) -> str:
    """The legend's second line: the date and the filters."""
    day = scope.as_of.strftime("%d/%m/%Y") if lang == "vi" else scope.as_of.isoformat()
    parts = [texts["as_of"].format(date=day)]
    if scope.operators:
        parts.append(f"{texts['operators']}: {', '.join(scope.operators)}")
    if scope.commune:
        parts.append(f"{texts['commune']}: {scope.commune}")
    return " · ".join(parts)


# ---------------------------------------------------------------- communes

class CommuneLayer(RawMacroElement):
    """The commune outlines (always on, not interactive) and, when ``choropleth`` is given, the
    choropleth of underground share with permanent labels, drawn under the segments."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .tg-commune-label { background: rgba(255,255,255,0.8); border: 0; box-shadow: none;
                      padding: 1px 4px; font: 11px/1.2 system-ui, sans-serif; text-align: center; }
  .tg-commune-label::before { display: none; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var fc = {{ this.payload }};
  var map = {{ this._parent.get_name() }};
  var outlines = L.geoJSON(fc, {style: {color: '{{ this.outline_colour }}', weight: 1.4,
                                        opacity: 0.9, fill: false}, interactive: false})
    .addTo({{ this.outline.get_name() }});
  var drawn = outlines.getLayers().filter(function (l) { return map.hasLayer(l); }).length;
  window.telecomGis = Object.assign(window.telecomGis || {}, {communes: drawn});
{% if this.choropleth %}
  var group = {{ this.choropleth.get_name() }};
  var fills = L.geoJSON(fc, {
    style: function (f) {
      return {fillColor: f.properties.fill, fillOpacity: 0.7, color: '#ffffff', weight: 1};
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.tip, {sticky: true, className: 'tg-tip'});
    }
  }).addTo(group);
  fc.features.forEach(function (f) {
    L.tooltip({permanent: true, direction: 'center', className: 'tg-commune-label',
               interactive: false})
      .setLatLng([f.properties.label_at[1], f.properties.label_at[0]])
      .setContent(f.properties.label).addTo(group);
  });
  group.on('add', function () { fills.bringToBack(); });
{% endif %}
})();
{% endmacro %}
""")

    def __init__(self, communes: Sequence[dict[str, Any]], outline: folium.FeatureGroup,
                 choropleth: folium.FeatureGroup | None) -> None:
        super().__init__()
        self._name = "CommuneLayer"
        self.payload = js_json({"type": "FeatureCollection", "features": list(communes)})
        self.outline = outline
        self.choropleth = choropleth
        self.outline_colour = colour(AdminLevel.COMMUNE)


def share_colour(share: float | None) -> str:
    """The choropleth fill of an underground share (None: no cable)."""
    if share is None:
        return NO_CABLE_COLOUR
    for bound, fill in zip(SHARE_BREAKS, SHARE_COLOURS, strict=False):
        if share < bound:
            return fill
    return SHARE_COLOURS[-1]


def _plan_lines(commune: CommuneFigures, texts: dict[str, str], lang: str) -> list[str]:
    lines = []
    for plan in commune.plans:
        name = plan.name + (f" ({plan.operator})" if plan.operator else "")
        achieved = number(plan.achieved_km, lang, 2)
        if plan.target_km is None:
            lines.append(texts["plan_routes_only"].format(name=name, achieved=achieved))
        else:
            lines.append(texts["plan_line"].format(name=name, achieved=achieved,
                                                   target=number(plan.target_km, lang, 2)))
    return lines


def commune_features(communes: Sequence[CommuneFigures], year: int, texts: dict[str, str],
                     lang: str) -> list[dict[str, Any]]:
    """GeoJSON features of the communes with their fill, tooltip (HTML, escaped) and label."""
    features = []
    for commune in communes:
        share = commune.underground_share
        figures = (texts["underground_of"].format(
            u=number(commune.underground_km, lang), t=number(commune.total_km, lang),
            s=percent(share, lang)) if share is not None else texts["no_cable"])
        plans = _plan_lines(commune, texts, lang)
        tip = Markup("<b>{}</b> ({})<br>{}<br>{}").format(
            commune.name, commune.code, figures,
            Markup("<br>").join(plans) if plans else texts["no_plan"].format(year=year))
        targets = [p.target_km for p in commune.plans if p.target_km is not None]
        label_text = escape(percent(share, lang) if share is not None else "–")
        if targets:
            short = texts["plan_short"].format(target=number(sum(targets), lang))
            label_text = Markup("{}<br>{}").format(label_text, short)
        features.append({
            "type": "Feature", "geometry": json.loads(commune.geometry),
            "properties": {"code": commune.code, "fill": share_colour(share), "tip": str(tip),
                           "label": str(label_text), "label_at": list(commune.label_at)},
        })
    return features


def add_communes(m: folium.Map, communes: Sequence[CommuneFigures], year: int,
                 texts: dict[str, str], lang: str, *, choropleth: bool
                 ) -> tuple[folium.FeatureGroup, folium.FeatureGroup | None]:
    """Add the commune outlines (always shown, not in the layer control) and, if
    ``choropleth``, the choropleth layer (off at first, in the layer control)."""
    outline = folium.FeatureGroup(name=texts["communes_outline"], control=False,
                                  show=True).add_to(m)
    fills = (folium.FeatureGroup(name=texts["choropleth"], overlay=True, control=True,
                                 show=False).add_to(m) if choropleth else None)
    m.add_child(CommuneLayer(commune_features(communes, year, texts, lang), outline, fills))
    return outline, fills


def choropleth_section(communes: Sequence[CommuneFigures], year: int, texts: dict[str, str],
                       lang: str, layer: folium.FeatureGroup) -> LegendSection:
    """The legend section of the choropleth: the share classes and the year's plan totals."""
    bounds = (0.0, *SHARE_BREAKS, 1.0)
    rows = [LegendRow(fill, f"{percent(low, lang)} – {percent(high, lang)}", shape="area")
            for fill, low, high in zip(SHARE_COLOURS, bounds, bounds[1:], strict=False)]
    rows.append(LegendRow(NO_CABLE_COLOUR, texts["no_cable"], shape="area"))
    planned = [c for c in communes if c.plans]
    targets = sum(p.target_km or 0.0 for c in planned for p in c.plans)
    achieved = sum(p.achieved_km for c in planned for p in c.plans)
    note = (texts["plan_summary"].format(year=year, count=len(planned),
                                         target=number(targets, lang, 2),
                                         achieved=number(achieved, lang, 2))
            if planned else texts["no_plan"].format(year=year))
    return LegendSection(texts["share_title"], tuple(rows),
                         note=f"{note}. {texts['label_note']}", layer=layer)


def class_section(title: str, classes: Sequence[SegmentClass], class_keys: Sequence[str],
                  segments: MapSegments, texts: dict[str, str], lang: str
                  ) -> tuple[LegendSection, dict[str, dict[str, float]]]:
    """The legend section of the segment classes (segments and km of each, top class first,
    then the commune outline), and the same figures by class key."""
    return summary_section(title, classes, class_summary(classes, class_keys, segments.lengths_m),
                           texts, lang)


def summary_section(title: str, classes: Sequence[SegmentClass],
                    summary: dict[str, tuple[int, float]], texts: dict[str, str], lang: str
                    ) -> tuple[LegendSection, dict[str, dict[str, float]]]:
    """The legend section of the classes from ``summary`` (class key -> segments, km)."""
    rows = tuple(
        LegendRow(c.colour, c.label, texts["segments"].format(
            count=number(summary[c.key][0], lang, 0), km=number(summary[c.key][1], lang)))
        for c in reversed(classes))
    figures = {key: {"segments": n, "km": round(km, 3)} for key, (n, km) in summary.items()}
    return LegendSection(title, (*rows, outline_row(texts))), figures


def finish_map(m: folium.Map, title: str, scope: MapScope, segments: MapSegments | None,
               sections: Sequence[LegendSection], texts: dict[str, str], lang: str,
               settings: Settings, *, totals: tuple[int, float] | None = None,
               **figures: Any) -> MapPage:
    """Add the legend and the layer control (last, so it lists every layer) and wrap the map
    with its figures (date, segments and km of ``segments`` or ``totals``, and ``figures``)."""
    m.add_child(Legend(title, subtitle(texts, scope, lang), sections, texts["no_tiles"]))
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    if totals is None and segments is not None:
        totals = (len(segments), sum(segments.lengths_m) / 1000)
    count, km = totals or (0, 0.0)
    return MapPage(m, allowed_urls(settings), {
        "as_of": scope.as_of.isoformat(), "segments": count, "km": round(km, 3), **figures})


# ---------------------------------------------------------------- the progress map

def placement_classes(lang: str) -> list[SegmentClass]:
    """The placement classes in drawing order, labelled and coloured from gis.choices."""
    return [SegmentClass(c.value, label(c, lang), colour(c), 3.0) for c in PLACEMENT_ORDER]


def tooltip_texts(texts: dict[str, str]) -> dict[str, str]:
    """The words a segment tooltip needs."""
    return {key: texts[key] for key in ("operator", "length", "history", "segment", "no_route")}


def tile_texts(texts: dict[str, str]) -> dict[str, str]:
    """The words a tooltip of the tiles needs (a segment's, an aggregate's)."""
    return {**tooltip_texts(texts), "segments": texts["segments"]}


def build_progress_map(session: Session, flt: MapFilter, *, settings: Settings,
                       lang: str = "vi", served: bool = False) -> MapPage:
    """The progress map of ``flt`` (see the module docstring). ValidationFailed naming
    ``as_of``, ``operator`` or ``commune`` for bad filters; ValueError for an unknown ``lang``.

    A file (``served`` False) carries its segments and refuses more than
    ``settings.map_max_segments``; a page the app serves draws the network from its vector
    tiles above ``settings.map_tiles_above`` segments (without a commune filter: the tiles are
    not cut by commune, and one commune's network is small enough to carry)."""
    texts = texts_for(lang)
    scope = resolve_filter(session, flt)
    if (served and scope.commune_id is None
            and count_active(session, scope, settings.map_tiles_above)
            > settings.map_tiles_above):
        return _tiled_progress_map(session, scope, settings, texts, lang)
    segments = map_segments(session, scope, history=True,
                            max_segments=None if served else settings.map_max_segments)
    communes = map_communes(session, scope, segments)
    year = scope.as_of.year

    m = base_map(settings, texts, texts["progress_title"])
    outline, fills = add_communes(m, communes, year, texts, lang, choropleth=True)
    classes = placement_classes(lang)
    add_segment_layer(
        m, segments, classes=classes, class_keys=segments.classes,
        group_label=texts["group_label"],
        history_labels={c.value: label(c, lang) for c in PlacementClass},
        texts=tooltip_texts(texts), lang=lang, fallback=outline,
        count_format=lambda count: number(count, lang, 0))
    section, by_class = class_section(texts["placement_section"], classes, segments.classes,
                                      segments, texts, lang)
    sections = [section, choropleth_section(communes, year, texts, lang, fills)]
    return finish_map(m, texts["progress_title"], scope, segments, sections, texts, lang,
                      settings, classes=by_class, communes=len(communes))


def _tiled_progress_map(session: Session, scope: MapScope, settings: Settings,
                        texts: dict[str, str], lang: str) -> MapPage:
    """The progress map drawing the network from ``/tiles`` (:mod:`maps.tile_layer`); the
    legend, layer names and choropleth from :func:`gis.tiles.summary.network_summary`."""
    summary = network_summary(session, scope)
    communes = map_communes(session, scope, summary.as_map_segments(scope))
    year = scope.as_of.year
    m = base_map(settings, texts, texts["progress_title"])
    outline, fills = add_communes(m, communes, year, texts, lang, choropleth=True)
    classes = placement_classes(lang)
    add_tile_layer(m, summary, scope, classes=classes, group_label=texts["group_label"],
                   texts=tile_texts(texts), lang=lang, fallback=outline,
                   count_format=lambda count: number(count, lang, 0))
    by_key = {c.key: (0, 0.0) for c in classes}
    for group in summary.groups:
        count, km = by_key[group.cls]
        by_key[group.cls] = (count + group.segments, km + group.length_m / 1000)
    section, by_class = summary_section(texts["placement_section"], classes, by_key, texts,
                                        lang)
    section = LegendSection(section.title, section.rows, note=texts["tiles_note"])
    sections = [section, choropleth_section(communes, year, texts, lang, fills)]
    km = sum(g.length_m for g in summary.groups) / 1000
    return finish_map(m, texts["progress_title"], scope, None, sections, texts, lang,
                      settings, totals=(summary.segments, km), classes=by_class,
                      communes=len(communes), tiles=True)
