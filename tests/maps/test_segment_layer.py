"""The segment layer's compact payload, and the page text it writes."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date

import folium

from gis.queries.map_data import MapSegments
from maps.assets import render_html
from maps.segment_layer import (
    SegmentClass,
    add_segment_layer,
    js_json,
    layer_name,
    segment_payload,
)

CLASSES = [SegmentClass("a", "Class A", "#111111"), SegmentClass("b", "Class B", "#222222", 5)]


def _segments(**overrides) -> MapSegments:
    values = dict(
        as_of=date(2025, 1, 1), ids=[7, 8, 12], polylines=["_p~iF~ps|U", "{{ x }}", "</script>"],
        operator_ids=[2, 1, 2], route_ids=[5, None, 5], classes=["a", "b", "a"],
        lengths_m=[47.26, 1.04, 100.0], commune_ids=[None, None, None],
        histories=["2019-01-01 a", "2019-01-01 a → 2024-01-01 b", "2019-01-01 a"],
        operators={1: ("VNPT", "VNPT Thái Bình"), 2: ("FPT", "FPT <Telecom>")},
        routes={5: ("R-5", "Phố {{ 7*7 }}")})
    values.update(overrides)
    return MapSegments(**values)


def test_payload_is_column_arrays_with_lookup_tables():
    segments = _segments()
    payload = segment_payload(segments, classes=CLASSES, class_keys=segments.classes,
                              operator_order=[2, 1], history_labels={"a": "A", "b": "B"},
                              texts={"operator": "Operator"}, lang="en")
    assert payload["ids"] == [7, 1, 4]  # differences
    assert payload["op"] == [0, 1, 0]  # FPT's layer first, as ordered
    assert payload["cls"] == [0, 1, 0]
    assert payload["len"] == [473, 10, 1000]  # decimetres
    assert payload["route"] == [0, 1, 0]
    assert payload["routes"] == [["R-5", "Phố {{ 7*7 }}"], None]
    assert payload["operators"] == [["FPT", "FPT <Telecom>"], ["VNPT", "VNPT Thái Bình"]]
    assert payload["hist"] == [0, 1, 0]
    assert payload["histories"] == ["2019-01-01 a", "2019-01-01 a → 2024-01-01 b"]
    assert payload["classes"][1] == {"key": "b", "label": "Class B", "colour": "#222222",
                                     "weight": 5}


def test_payload_without_history_sends_none():
    segments = _segments()
    payload = segment_payload(segments, classes=CLASSES, class_keys=segments.classes,
                              operator_order=[1, 2], history_labels=None, texts={}, lang="vi")
    assert "hist" not in payload and "histories" not in payload


def test_js_json_cannot_close_the_script_element():
    text = js_json({"name": "</script><script>alert(1)</script>", "amp": "a & b\u2028"})
    assert "</" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>",
                                "amp": "a & b\u2028"}


def test_page_carries_data_verbatim_even_when_it_looks_like_a_template():
    """folium renders element texts again as Jinja templates; the layer's data must not be
    (a polyline may hold ``{{``), nor may it close the script."""
    m = folium.Map(tiles=None, prefer_canvas=True)
    segments = _segments()
    groups = add_segment_layer(m, segments, classes=CLASSES, class_keys=segments.classes,
                               group_label="{name} ({count})", history_labels=None,
                               texts={}, lang="vi")
    folium.LayerControl().add_to(m)
    html = render_html(m, "url")
    assert set(groups) == {1, 2}
    assert '"{{ x }}"' in html and "Phố {{ 7*7 }}" in html and "Phố 49" not in html
    assert "\\u003c/script\\u003e" in html
    assert html.count("</script>") == len(re.findall(r"<script\b", html))
    assert "FPT &lt;Telecom&gt; (2)" in layer_names(html)  # HTML, as the control shows it
    assert "L.polyline(b.parts, style(b.c))" in html


def layer_names(html: str) -> list[str]:
    """The names the page gives Leaflet's layer control (which writes them with innerHTML)."""
    return [json.loads(f'"{name}"') for name in
            re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*feature_group_\w+', html)]


HOSTILE = "<img src=x onerror=alert(1)> {{ 7*7 }} {% if true %}yes{% endif %} {# c #}"


def test_operator_names_cannot_inject_html_or_templates():
    """Leaflet's layer control writes names as HTML, and branca renders folium's script again
    as a Jinja template: an operator's name holding markup or ``{{`` must come out as text."""
    m = folium.Map(tiles=None, prefer_canvas=True)
    segments = _segments(operators={1: ("VNPT", "VNPT"), 2: ("F{{P}}T", HOSTILE)})
    add_segment_layer(m, segments, classes=CLASSES, class_keys=segments.classes,
                      group_label="{name} [{code}] ({count})", history_labels=None, texts={},
                      lang="vi")
    folium.LayerControl().add_to(m)
    names = layer_names(render_html(m, "url"))
    assert len(names) == 2
    hostile = next(n for n in names if "img" in n)
    assert "<" not in hostile and "{{" not in hostile and "{%" not in hostile
    assert html_lib.unescape(hostile) == f"{HOSTILE} [F{{{{P}}}}T] (2)"  # shown as written


def test_layer_name_escapes_markup_and_template_braces():
    assert layer_name("A & B <b>{{x}}</b>") == "A &amp; B &lt;b&gt;&#123;&#123;x}}&lt;/b&gt;"
