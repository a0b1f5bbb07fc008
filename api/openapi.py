"""The OpenAPI document, with each status enum's Vietnamese and English labels attached, and
the problem responses every route can give.

Routes that use a :mod:`gis.choices` enum directly (not through
:func:`api.schemas.common.labelled`) get their labels here, from the same table, so every enum
in the document carries ``x-labels`` and a description that spells them out.

Problems are sent as ``application/problem+json`` only, so their schema is documented under that
media type (FastAPI puts a route's ``model=`` under ``application/json``). The refusals that
come before any route (:class:`api.limits.RequestGuard`: 422 for a NUL in the path or query,
413 and 415 for a body; and 400 for a body that is not valid JSON or multipart) are added to
every operation they can answer.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import PROBLEM_JSON, TITLES
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


PROBLEM_REF = "#/components/schemas/Problem"
VALIDATION_REF = "#/components/schemas/HTTPValidationError"

#: Refusals of any request (a NUL in the path or the query; the database unavailable, with
#: Retry-After), of any request with a body, and of any request carrying credentials (too many
#: failed sign-ins from its address, :mod:`api.throttle`).
ANY_REQUEST = ("422", "503")
WITH_BODY = ("400", "413", "415")
WITH_CREDENTIALS = ("429",)
#: Operations that take credentials without declaring the bearer scheme.
SIGNS_IN = {("/session", "post")}


def _problem_response(status: str) -> dict[str, Any]:
    return {"description": TITLES[int(status)],
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}


def _problems_as_problem_json(operation: dict[str, Any]) -> None:
    """Document each problem response under the media type the app sends,
    ``application/problem+json``: FastAPI puts a route's ``model=`` under the route's own media
    type, and documents its default validation error (``HTTPValidationError``), which the app
    never sends (:mod:`api.problems` answers every validation error with a problem)."""
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        refs = {media: body.get("schema", {}).get("$ref") for media, body in content.items()}
        if refs.get(PROBLEM_JSON) is None and PROBLEM_REF in refs.values():
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
        elif set(refs.values()) == {VALIDATION_REF}:
            operation["responses"][status] = _problem_response(status)


def _document_problems(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _problems_as_problem_json(operation)
            responses = operation.setdefault("responses", {})
            statuses = ANY_REQUEST + (WITH_BODY if "requestBody" in operation else ())
            if "security" in operation or (path, method) in SIGNS_IN:
                statuses += WITH_CREDENTIALS
            for status in statuses:
                responses.setdefault(status, _problem_response(status))
            operation["responses"] = dict(sorted(responses.items()))
    schemas = schema.get("components", {}).get("schemas", {})
    if VALIDATION_REF not in json.dumps(schema.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the labelled document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes, tags=app.openapi_tags,
            )
            _label_enums(schema)
            _document_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
