"""Shared pieces of the API's models: labelled enums, GeoJSON geometry, pagination links."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from gis.choices import LABELS


def labelled(enum: type[StrEnum]) -> Any:
    """``Annotated[enum, ...]`` whose JSON schema lists each value's Vietnamese and English
    labels (``x-labels``) and spells them out in the description, for OpenAPI readers."""
    values = [member.value for member in enum]
    labels = {m.value: {"vi": LABELS[m].vi, "en": LABELS[m].en} for m in enum if m in LABELS}
    description = (enum.__doc__ or "").strip().splitlines()[0] + " " + "; ".join(
        f"`{v}`: {labels[v]['vi']} / {labels[v]['en']}" for v in values if v in labels
    )
    return Annotated[
        enum,
        WithJsonSchema(
            {"type": "string", "enum": values, "title": enum.__name__,
             "description": description.strip(), "x-labels": labels},
            mode="validation",
        ),
        WithJsonSchema(
            {"type": "string", "enum": values, "title": enum.__name__,
             "description": description.strip(), "x-labels": labels},
            mode="serialization",
        ),
    ]


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
