"""Writing and reading the sample files, byte-for-byte reproducibly.

GeoJSON is written here rather than by GDAL, so the output depends on nothing but the data:
one feature per line, keys in a fixed order, coordinates as the shortest decimal of values
rounded to 1e-7 degree, EPSG:4326 (RFC 7946, no ``crs`` member). The collection carries the
foreign members ``synthetic: true`` and ``notice``. CSV is UTF-8 with ``\\n`` line ends,
booleans as ``true``/``false`` and dates as ``YYYY-MM-DD``. GeoPackage (large mode) goes
through pyogrio; its metadata holds timestamps, so compare its contents, not its bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gis.sample import SYNTHETIC_NOTICE


def plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``YYYY-MM-DD`` strings, booleans kept, everything else unchanged."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out


def write_csv(path: Path, frame: pd.DataFrame) -> int:
    """Write ``frame`` as CSV (booleans ``true``/``false``); return the number of rows."""
    out = plain_columns(frame)
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = np.where(out[column], "true", "false")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return len(out)


def _value(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def write_geojson(path: Path, name: str, properties: pd.DataFrame,
                  geometries: Iterable[dict]) -> int:
    """Write a FeatureCollection of ``properties`` rows and GeoJSON geometry dicts."""
    props = plain_columns(properties)
    columns = list(props.columns)
    head = {"type": "FeatureCollection", "name": name, "synthetic": True,
            "notice": SYNTHETIC_NOTICE}
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n')
        rows = props.itertuples(index=False, name=None)
        for row, geometry in zip(rows, geometries, strict=True):
            feature = {"type": "Feature",
                       "properties": {c: _value(v) for c, v in zip(columns, row, strict=True)},
                       "geometry": geometry}
            out.write(("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
            count += 1
        out.write("\n]}\n")
    return count


def write_gpkg(path: Path, layer: str, properties: pd.DataFrame, geometries: np.ndarray) -> int:
    """Write one GeoPackage layer (EPSG:4326) with pyogrio; return the number of features."""
    frame = gpd.GeoDataFrame(plain_columns(properties), geometry=geometries, crs="EPSG:4326")
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    return len(frame)


def read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON or GeoPackage sample layer (first layer) into a GeoDataFrame."""
    return pyogrio.read_dataframe(path)


def find_layer(directory: Path, stem: str) -> Path | None:
    """``<stem>.geojson`` or ``<stem>.gpkg`` in ``directory``, whichever exists."""
    for suffix in (".geojson", ".gpkg"):
        candidate = directory / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    return None
