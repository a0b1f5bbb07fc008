"""Liveness and readiness: is the database there, with PostGIS and the current schema?"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import SessionDep
from gis.status import database_status

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """State of the service and its database."""

    status: str = Field(examples=["ok"], description="'ok', or 'migrate' when the schema is behind")
    postgis: str = Field(examples=["3.3.2"])
    schema_revision: str | None = Field(examples=["0001"])
    schema_head: str = Field(examples=["0001"])
    segments: int = Field(examples=[3000], description="Cable segments stored")


@router.get("/healthz", response_model=Health, summary="Service and database health")
def healthz(session: SessionDep) -> Health:
    """Report PostGIS version, schema revision and the number of stored segments."""
    return Health(**database_status(session))
