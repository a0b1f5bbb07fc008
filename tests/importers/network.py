"""A small cable network near Thái Bình city, written to real files in every supported format,
and helpers to read back what an import stored."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely import LineString
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.models import CableRoute, CableSegment, ImportRun, Operator, SegmentState
from tests.factories import make_operator

#: Four segments (lon/lat, EPSG:4326) and their attributes as an operator would send them.
SEGMENTS = [
    {
        "ma_doan": "S1",
        "operator": "VNPT",
        "route_code": "TB-R1",
        "placement": "overhead",
        "tidied": "false",
        "lifecycle": "active",
        "state_date": "2024-05-01",
        "coords": [(106.330, 20.440), (106.335, 20.442), (106.338, 20.446)],
    },
    {
        "ma_doan": "S2",
        "operator": "VNPT",
        "route_code": "TB-R1",
        "placement": "underground",
        "tidied": "false",
        "lifecycle": "active",
        "state_date": "2023-11-20",
        "coords": [(106.338, 20.446), (106.342, 20.449)],
    },
    {
        "ma_doan": "S3",
        "operator": "VIETTEL",
        "route_code": "TB-R2",
        "placement": "overhead",
        "tidied": "true",
        "lifecycle": "active",
        "state_date": "",
        "coords": [(106.350, 20.450), (106.352, 20.455), (106.356, 20.457)],
    },
    {
        "ma_doan": "S4",
        "operator": "VIETTEL",
        "route_code": "",
        "placement": "overhead",
        "tidied": "false",
        "lifecycle": "planned",
        "state_date": "",
        "coords": [(106.360, 20.460), (106.361, 20.463)],
    },
]

TO_9209 = Transformer.from_crs("EPSG:4326", "EPSG:9209", always_xy=True)


def network(epsg: int = 4326) -> gpd.GeoDataFrame:
    """The network as a GeoDataFrame in EPSG:4326 or EPSG:9209 (via pyproj, always_xy)."""
    lines = [LineString(s["coords"]) for s in SEGMENTS]
    if epsg == 9209:
        lines = [
            LineString(np.column_stack(TO_9209.transform(*np.array(ln.coords).T))) for ln in lines
        ]
    attributes = pd.DataFrame([{k: v for k, v in s.items() if k != "coords"} for s in SEGMENTS])
    return gpd.GeoDataFrame(attributes, geometry=lines, crs=f"EPSG:{epsg}")


def write(frame: gpd.GeoDataFrame, folder: Path, kind: str, name: str = "network") -> Path:
    """Write ``frame`` as ``kind`` (geojson, gpkg, zip, shp, kml, fgb, csv) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        path = folder / f"{name}.csv"
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["wkt"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=-1)
        table.to_csv(path, index=False)
        return path
    if kind == "zip":
        shp_dir = folder / f"{name}_shp"
        write(frame, shp_dir, "shp", name)
        path = folder / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in sorted(shp_dir.iterdir()):
                archive.write(part, part.name)
        return path
    driver, suffix = {
        "geojson": ("GeoJSON", "geojson"),
        "gpkg": ("GPKG", "gpkg"),
        "shp": ("ESRI Shapefile", "shp"),
        "kml": ("LIBKML", "kml"),
        "fgb": ("FlatGeobuf", "fgb"),
    }[kind]
    path = folder / f"{name}.{suffix}"
    pyogrio.write_dataframe(frame, path, driver=driver)
    return path


def add_operators(session: Session, *codes: str) -> dict[str, Operator]:
    """Register operators (the test database starts empty)."""
    return {code: make_operator(session, code) for code in codes}


def table_counts(session: Session) -> dict[str, int]:
    """Rows in the tables an import writes to."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (CableSegment, SegmentState, CableRoute, ImportRun)
    }


def stored_segments(session: Session, source: str) -> pd.DataFrame:
    """The stored segments of ``source`` with operator and route codes, indexed by source_fid."""
    rows = session.execute(
        text(
            """
            SELECT s.source_fid, o.code AS operator, r.code AS route_code, r.tier,
                   s.placement, s.placement_kind, s.tidied, s.lifecycle, s.state_since,
                   s.length_m, ST_AsBinary(s.geom) AS wkb, ST_SRID(s.geom) AS srid
              FROM cable_segments s
              JOIN operators o ON o.id = s.operator_id
              LEFT JOIN cable_routes r ON r.id = s.route_id
             WHERE s.source = :source
             ORDER BY s.source_fid
            """
        ),
        {"source": source},
    )
    frame = pd.DataFrame(rows.mappings().all())
    if not frame.empty:
        frame["geom"] = shapely.from_wkb(frame.pop("wkb").map(bytes).to_numpy())
        frame = frame.set_index("source_fid")
    return frame
