"""Fixtures of the sample tests: the demo generated once per run into a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gis.sample.files import read_layer
from gis.sample.generate import generate_sample


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo (default seed and size) freshly generated."""
    out = tmp_path_factory.mktemp("demo")
    generate_sample(out)
    return out


@pytest.fixture(scope="session")
def demo(demo_dir) -> dict:
    """The generated demo's files read back: GeoDataFrames, DataFrames (text) and manifest."""
    def csv(name: str) -> pd.DataFrame:
        return pd.read_csv(demo_dir / name, dtype=str, keep_default_na=False)

    return {
        "segments": read_layer(demo_dir / "segments.geojson"),
        "structures": read_layer(demo_dir / "structures.geojson"),
        "units": gpd.read_file(demo_dir / "admin_units.geojson"),
        "units_json": json.loads((demo_dir / "admin_units.geojson").read_text("utf-8")),
        "operators": csv("operators.csv"),
        "routes": csv("routes.csv"),
        "history": csv("segment_history.csv"),
        "crosswalk": csv("crosswalk.csv"),
        "plans": csv("plans.csv"),
        "manifest": json.loads((demo_dir / "manifest.json").read_text("utf-8")),
    }


@pytest.fixture(scope="module")
def demo_loaded(engine):
    """The committed demo loaded once per module in a transaction that is rolled back at the
    end of the module; yields ``(connection, load counts)``. Loading replays ~700 visits, so
    doing it once per module instead of once per test saves minutes."""
    from sqlalchemy.orm import Session

    from gis.sample import demo_directory
    from gis.sample.load import load_sample

    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            counts = load_sample(session, demo_directory())
            session.commit()  # releases the savepoint into the module's transaction
        yield connection, counts
        transaction.rollback()


@pytest.fixture
def demo_session(demo_loaded):
    """A session on the loaded demo whose changes are rolled back after the test."""
    from sqlalchemy.orm import Session

    connection, _ = demo_loaded
    savepoint = connection.begin_nested()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    if savepoint.is_active:
        savepoint.rollback()
