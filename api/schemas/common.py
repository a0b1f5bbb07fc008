"""Shared pieces of the API's models: labelled enums, GeoJSON geometry, pagination links."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema
from starlette.requests import Request

from gis.choices import LABELS


def spell_labels(labels: dict[str, dict[str, str]]) -> str:
    """``"`a`: vi / en; `b`: ..."`` for an enum's ``x-labels`` (also used by
    :mod:`api.openapi` for enums that do not go through :func:`labelled`)."""
    return "; ".join(f"`{value}`: {text['vi']} / {text['en']}" for value, text in labels.items())


def labelled(enum: type[StrEnum]) -> Any:
    """``Annotated[enum, ...]`` whose JSON schema lists each value's Vietnamese and English
    labels (``x-labels``) and spells them out in the description, for OpenAPI readers."""
    labels = {m.value: {"vi": LABELS[m].vi, "en": LABELS[m].en} for m in enum if m in LABELS}
    summary = next(iter((enum.__doc__ or "").strip().splitlines()), "")
    schema = {"type": "string", "enum": [m.value for m in enum], "title": enum.__name__,
              "description": f"{summary} {spell_labels(labels)}".strip(), "x-labels": labels}
    return Annotated[enum, WithJsonSchema(schema)]


class Label(BaseModel):
    """A value's labels in Vietnamese and English."""

    vi: str = Field(examples=["Cáp treo"])
    en: str = Field(examples=["Overhead"])


def label_of(value: StrEnum) -> Label:
    """The :class:`Label` of an enum value."""
    choice = LABELS[value]
    return Label(vi=choice.vi, en=choice.en)


class PointGeometry(BaseModel):
    """A GeoJSON Point in WGS 84 longitude/latitude (RFC 7946)."""

    type: str = Field("Point", pattern="^Point$")
    coordinates: Annotated[list[float], Field(min_length=2, max_length=2,
                                              examples=[[106.3402, 20.4501]])]


class Link(BaseModel):
    """A link, as in OGC API and RFC 8288: ``rel`` and ``href``."""

    rel: str = Field(examples=["next"])
    href: str = Field(examples=["/segments?limit=100&after=1234"])
    type: str | None = Field(default=None, examples=["application/geo+json"])


def page_links(
    request: Request, next_after: Any, media_type: str = "application/json"
) -> list[Link]:
    """The ``self`` link of a keyset-paginated list and, when ``next_after`` is not None, the
    ``next`` link: the same query with ``after`` set to it (every filter kept)."""
    links = [Link(rel="self", href=str(request.url), type=media_type)]
    if next_after is not None:
        href = str(request.url.include_query_params(after=next_after))
        links.append(Link(rel="next", href=href, type=media_type))
    return links


#: Largest values of PostgreSQL integer and bigint keys.
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1


def id_path(what: str, *, bigint: bool = False, example: int = 7) -> Any:
    """A path parameter holding the id of ``what``, bounded by its column type, so an id out
    of range is a 422 naming the parameter rather than a database error."""
    from fastapi import Path

    return Annotated[int, Path(ge=0, le=INT8_MAX if bigint else INT4_MAX,
                               description=f"The {what}'s id.", examples=[example])]

