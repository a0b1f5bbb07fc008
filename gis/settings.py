"""Runtime settings, read from the environment (prefix ``TELECOM_GIS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The local database that ``scripts/setup-postgis.sh`` (run by ``make``) creates.
LOCAL_DATABASE_URL = "postgresql+psycopg://telecom_gis:telecom_gis@localhost:5432/telecom_gis"


class Settings(BaseSettings):
    """Settings of the GIS core: where the database is and how the network is measured."""

    model_config = SettingsConfigDict(env_prefix="TELECOM_GIS_", extra="ignore")

    database_url: str = Field(
        default=LOCAL_DATABASE_URL,
        description="SQLAlchemy URL of a PostgreSQL database with PostGIS (psycopg 3 driver).",
    )
    metric_crs: str = Field(
        default="EPSG:9209",
        description="Projected CRS for distances and buffers in metres (VN-2000 / TM-3 105-30).",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
