"""Runtime settings, read from the environment (prefix ``TELECOM_GIS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    read_database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of a streaming replica of database_url. When set, the reads that "
            "tolerate a replica's lag (maps, tiles, exports, OGC API) go there and every write "
            "to the primary; unset, everything uses database_url."
        ),
    )
    metric_crs: str = Field(
        default="EPSG:9209",
        description="Projected CRS for distances and buffers in metres (VN-2000 / TM-3 105-30).",
    )
    photo_dir: Path = Field(
        default=Path("var/photos"),
        description="Directory where visit photos are stored (content-addressed by SHA-256).",
    )
    photo_max_bytes: int = Field(
        default=15 * 1024 * 1024, gt=0, description="Largest photo accepted, in bytes (413 above)."
    )
    stale_after_days: int = Field(
        default=365,
        gt=0,
        description=(
            "A segment whose last visit is older than this many days is 'stale'. Local choice: "
            "Nghị định 15/2020 Art. 40(3) makes operators tidy every 6 months, but no rule fixes "
            "how often the department must inspect."
        ),
    )
    snap_radius_m: float = Field(
        default=30.0, gt=0, le=500,
        description="Default radius (metres) within which a GPS position is snapped to a segment.",
    )
    snap_ambiguity_m: float = Field(
        default=3.0, ge=0,
        description=(
            "When snapping, a second segment within this many metres of the nearest makes the "
            "position ambiguous and the visit is refused."
        ),
    )
    checklist_file: Path | None = Field(
        default=None,
        description=(
            "A checklist catalogue (TOML) to load as a new version, replacing the bundled "
            "QCVN 33:2019 catalogue's unsourced values with local ones."
        ),
    )
    token_days: int = Field(default=180, gt=0, description="Days a new API token stays valid.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Origins (e.g. [\"https://gis.sokhcn.example.vn\"], a JSON list) whose pages may "
            "call the API from a browser. Empty (the default): no cross-origin calls at all."
        ),
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark the pages' session cookie Secure (set true when served over HTTPS).",
    )
    tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description=(
            "Base-map tile URL template ({z}/{x}/{y}) for the maps and the viewer; empty for no "
            "base map. When tiles cannot load, the maps still draw the network and communes."
        ),
    )
    map_max_segments: int = Field(
        default=250_000, gt=0,
        description=(
            "Most segments a compliance map, or a progress map written to a file, may hold "
            "(about 10 MB of HTML and 3 s to draw at the default); above it the map asks for "
            "an operator or commune."
        ),
    )
    map_tiles_above: int = Field(
        default=50_000, ge=0,
        description=(
            "A progress map the app serves draws the network from its vector tiles (/tiles) "
            "when it holds more segments than this (about 2 MB of HTML and 0.5 s to draw at "
            "the default); at or below it, the segments come with the page."
        ),
    )
    tile_attribution: str = Field(
        default="© OpenStreetMap contributors",
        description="Attribution shown for the base-map tiles.",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
