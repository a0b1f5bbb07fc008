"""Audit log entries on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Link
from gis.audit import scrub
from gis.models import AuditEntry


class AuditEntryPublic(BaseModel):
    """One written row: who, when, which row, and its image before and after the write."""

    id: int = Field(examples=[4711])
    at: datetime = Field(examples=["2025-07-01T08:30:00+07:00"],
                         description="Start of the writing transaction.")
    actor: str = Field(examples=["user:thanhtra.nguyen"],
                       description="`user:<username>` (API) or `cli:<os user>` (command line).")
    table: str = Field(examples=["violations"])
    action: Literal["INSERT", "UPDATE", "DELETE"] = Field(examples=["UPDATE"])
    row_key: str | None = Field(examples=["42"],
                                description="The row's id, or the ids of a link row.")
    before: dict[str, Any] | None = Field(
        examples=[{"id": 42, "state": "open"}], description="The row before (null on INSERT)."
    )
    after: dict[str, Any] | None = Field(
        examples=[{"id": 42, "state": "remediation_reported"}],
        description="The row after (null on DELETE).",
    )

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        """From an ``audit_log`` row (secret columns left out)."""
        return cls(id=entry.id, at=entry.at, actor=entry.actor, table=entry.table_name,
                   action=entry.action, row_key=entry.row_key,
                   before=scrub(entry.before), after=scrub(entry.after))


class AuditPage(BaseModel):
    """A page of audit entries, newest first; follow the ``next`` link for older ones."""

    entries: list[AuditEntryPublic]
    links: list[Link] = Field(
        examples=[[{"rel": "next", "href": "/audit?table=violations&cursor=MjAyNS0wNy"}]],
        description="`next` when there are older entries.",
    )
