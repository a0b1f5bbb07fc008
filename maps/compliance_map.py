"""The compliance map: segments by compliance state, open violations clustered, overdue ones
standing out.

One folium map (``telecom-gis map compliance``, ``GET /maps/compliance``) for a date and
filters:

- active segments coloured by :class:`gis.choices.ComplianceState` on the date (rules in
  :mod:`gis.compliance.rules`), one layer per operator, tooltips built on demand
  (:mod:`maps.segment_layer`);
- violations unresolved on the date and not yet due, clustered (``folium.plugins.MarkerCluster``
  on the vendored leaflet.markercluster), each at the midpoint of its segment, coloured by
  severity;
- overdue violations in their own layer, never clustered, as bigger red markers, counted in the
  legend;
- the commune outlines, always drawn, and the base tiles of ``settings.tile_url`` (optional).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
from folium.plugins import MarkerCluster
from jinja2 import Template
from sqlalchemy.orm import Session

from gis.choices import ComplianceState, Severity, ViolationState, colour, label
from gis.queries.map_data import (
    MapFilter,
    OpenViolation,
    map_communes,
    map_segments,
    open_violations,
    resolve_filter,
)
from gis.settings import Settings
from maps.progress import (
    LegendRow,
    LegendSection,
    MapPage,
    add_communes,
    base_map,
    class_section,
    finish_map,
    number,
    texts_for,
    tooltip_texts,
)
from maps.segment_layer import RawMacroElement, SegmentClass, add_segment_layer, js_json

#: Compliance states in drawing order: the last is drawn on top.
COMPLIANCE_ORDER = (ComplianceState.NOT_INSPECTED, ComplianceState.STALE,
                    ComplianceState.COMPLIANT, ComplianceState.NON_COMPLIANT,
                    ComplianceState.OVERDUE)


class ViolationMarkers(RawMacroElement):
    """Markers of the open violations: the ones not yet due into a marker cluster, the overdue
    ones (bigger, red) into their own layer. Tooltips are built from the arrays on demand."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .tg-violation { border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 0 1px #555;
                  box-sizing: border-box; }
  .tg-violation-overdue { border: 3px solid #fff; box-shadow: 0 0 0 2px {{ this.overdue_colour }},
                          0 0 6px 2px rgba(0,0,0,0.45); }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var d = {{ this.payload }}, t = d.texts;
  var cluster = {{ this.cluster.get_name() }}, overdue = {{ this.overdue.get_name() }};
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function tip(i) {
    var sev = d.severities[d.sev[i]], state = d.states[d.state[i]];
    return '<b>' + esc(d.item[i]) + '</b> · ' + esc(d.operator[i]) + '<br>' + esc(d.text[i]) +
      '<br>' + esc(t.severity) + ': ' + esc(sev.label) + '<br>' + esc(t.state) + ': ' +
      esc(state) + '<br>' + esc(t.due) + ': ' + esc(d.due[i]) + '<br>' + esc(t.segment) +
      ' #' + d.segment[i];
  }
  var small = [], big = [];
  for (var i = 0; i < d.lat.length; i++) {
    var late = d.overdue[i] === 1, size = late ? 20 : 14;
    var fill = late ? '{{ this.overdue_colour }}' : d.severities[d.sev[i]].colour;
    var icon = L.divIcon({className: '', iconSize: [size, size], html:
      '<div class="tg-violation' + (late ? ' tg-violation-overdue' : '') + '" style="width:' +
      size + 'px;height:' + size + 'px;background:' + fill + '"></div>'});
    var marker = L.marker([d.lat[i], d.lng[i]], {icon: icon, zIndexOffset: late ? 1000 : 0,
                                                 keyboard: false});
    marker.bindTooltip(tip.bind(null, i), {className: 'tg-tip', direction: 'top'});
    (late ? big : small).push(marker);
  }
  cluster.addLayers(small);
  big.forEach(function (marker) { overdue.addLayer(marker); });
  window.telecomGis = Object.assign(window.telecomGis || {},
                                    {violations: small.length, overdue: big.length});
})();
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any], cluster: MarkerCluster,
                 overdue: folium.FeatureGroup) -> None:
        super().__init__()
        self._name = "ViolationMarkers"
        self.payload = js_json(payload)
        self.cluster = cluster
        self.overdue = overdue
        self.overdue_colour = colour(ComplianceState.OVERDUE)


def violation_payload(violations: Sequence[OpenViolation], texts: dict[str, str],
                      lang: str) -> dict[str, Any]:
    """The violations as column arrays (WGS 84 coordinates, EPSG:4326, rounded to 1e-6 degree,
    about 0.1 m), severities and states as indexes into small tables."""
    severities = list(Severity)
    states = [ViolationState.OPEN, ViolationState.REMEDIATION_REPORTED]
    return {
        "lat": [round(v.lat, 6) for v in violations],
        "lng": [round(v.lon, 6) for v in violations],
        "segment": [v.segment_id for v in violations],
        "operator": [v.operator for v in violations],
        "item": [v.item for v in violations],
        "text": [v.text_vi if lang == "vi" else v.text_en for v in violations],
        "sev": [severities.index(Severity(v.severity)) for v in violations],
        "state": [states.index(ViolationState(v.state)) for v in violations],
        "due": [v.due_on.strftime("%d/%m/%Y") if lang == "vi" else v.due_on.isoformat()
                for v in violations],
        "overdue": [1 if v.overdue else 0 for v in violations],
        "severities": [{"label": label(s, lang), "colour": colour(s)} for s in severities],
        "states": [label(s, lang) for s in states],
        "texts": {key: texts[key] for key in ("severity", "state", "due", "segment")},
    }


def compliance_classes(lang: str) -> list[SegmentClass]:
    """The compliance states in drawing order, labelled and coloured from gis.choices."""
    weights = {ComplianceState.NOT_INSPECTED: 2.0, ComplianceState.STALE: 2.5}
    return [SegmentClass(s.value, label(s, lang), colour(s), weights.get(s, 3.5))
            for s in COMPLIANCE_ORDER]


def build_compliance_map(session: Session, flt: MapFilter, *, settings: Settings,
                         lang: str = "vi") -> MapPage:
    """The compliance map of ``flt`` (see the module docstring); compliance is "stale" after
    ``settings.stale_after_days`` days without a visit. ValidationFailed naming ``as_of``,
    ``operator`` or ``commune`` for bad filters; ValueError for an unknown ``lang``."""
    texts = texts_for(lang)
    scope = resolve_filter(session, flt)
    segments = map_segments(session, scope, compliance=True,
                            stale_after_days=settings.stale_after_days,
                            max_segments=settings.map_max_segments)
    communes = map_communes(session, scope, segments, plans=False)
    violations = open_violations(session, scope)

    m = base_map(settings, texts, texts["compliance_title"])
    outline, _ = add_communes(m, communes, scope.as_of.year, texts, lang, choropleth=False)
    classes = compliance_classes(lang)
    add_segment_layer(
        m, segments, classes=classes, class_keys=segments.compliance,
        group_label=texts["group_label"], history_labels=None, texts=tooltip_texts(texts),
        lang=lang, fallback=outline, count_format=lambda count: number(count, lang, 0))
    late = sum(1 for v in violations if v.overdue)
    cluster = MarkerCluster(name=f"{texts['violations_open']} ({len(violations) - late})",
                            show=True, max_cluster_radius=50).add_to(m)
    overdue = folium.FeatureGroup(name=f"{texts['violations_overdue']} ({late})",
                                  show=True).add_to(m)
    m.add_child(ViolationMarkers(violation_payload(violations, texts, lang), cluster, overdue))

    violation_rows = (
        LegendRow(colour(ComplianceState.OVERDUE), texts["violations_overdue"],
                  number(late, lang, 0), shape="bigdot"),
        *(LegendRow(colour(s), f"{texts['not_due']} · {label(s, lang)}",
                    number(sum(1 for v in violations if not v.overdue and v.severity == s),
                           lang, 0), shape="dot")
          for s in reversed(list(Severity))),
    )
    section, by_state = class_section(texts["compliance_section"], classes,
                                      segments.compliance, segments, texts, lang)
    sections = [section, LegendSection(texts["violations"], violation_rows)]
    return finish_map(m, texts["compliance_title"], scope, segments, sections, texts, lang,
                      settings, states=by_state, communes=len(communes),
                      violations=len(violations), overdue=late)
