"""The OpenAPI document, with each status enum's Vietnamese and English labels attached.

Routes that use a :mod:`gis.choices` enum directly (not through
:func:`api.schemas.common.labelled`) get their labels here, from the same table, so every enum
in the document carries ``x-labels`` and a description that spells them out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.schemas.common import spell_labels
from gis.choices import LABELS

#: The labelled members by enum class name, then by value.
_BY_CLASS: dict[str, dict[str, StrEnum]] = {}
for _member in LABELS:
    _BY_CLASS.setdefault(type(_member).__name__, {})[_member.value] = _member


def _labels_for(values: list[str], title: str | None) -> dict[str, dict[str, str]] | None:
    """Labels of ``values``, from the enum named ``title`` when it is in LABELS, else from any
    labelled value; None unless every value has one."""
    pool = _BY_CLASS.get(title or "", {})
    labels = {}
    for value in values:
        member = pool.get(value) or next((m for m in LABELS if m.value == value), None)
        if member is None:
            return None
        labels[value] = {"vi": LABELS[member].vi, "en": LABELS[member].en}
    return labels


def _label_enums(node: Any) -> None:
    if isinstance(node, dict):
        values = node.get("enum")
        if values and "x-labels" not in node and all(isinstance(v, str) for v in values):
            labels = _labels_for(values, node.get("title"))
            if labels:
                node["x-labels"] = labels
                spelled = spell_labels(labels)
                node["description"] = f"{node.get('description', '')} {spelled}".strip()
        for value in node.values():
            _label_enums(value)
    elif isinstance(node, list):
        for value in node:
            _label_enums(value)


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the labelled document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes, tags=app.openapi_tags,
            )
            _label_enums(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
