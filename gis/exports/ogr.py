"""GeoPackage, zipped Shapefile and KML exports, written by GDAL (pyogrio ``write_arrow``)
from the record batches of :mod:`gis.exports.batches` as they are read: GDAL pulls one batch
at a time from the stream, so memory holds one batch, never the whole layer.

* **GPKG**: layer ``segments``, with its spatial index, in the output CRS. GDAL builds the
  index when the layer is complete, from the boxes it kept: about 40 bytes per segment (the
  only memory that grows with the export: 40 MB for 1,000,000 segments).
* **SHP**: a zip of ``<name>.shp .shx .dbf .prj .cpg`` (UTF-8 attributes, ``.cpg`` says so).
  DBF field names have at most 10 characters, so four columns are renamed
  (:data:`SHAPEFILE_FIELDS`): ``commune_code`` -> ``commune_cd``, ``commune_name`` ->
  ``commune_nm``, ``placement_kind`` -> ``plc_kind``, ``state_since`` -> ``state_date``.
* **KML** (OGC KML 2.2, WGS 84): one Placemark per segment, the properties in its
  ``ExtendedData`` (a ``Schema`` of ``SimpleField`` s; ``state_since`` as ISO text,
  ``tidied`` as 0/1). GDAL's ``KML`` driver writes placemarks as they come; ``LIBKML`` would
  build the whole document in memory first. Readers through LIBKML (QGIS) show the
  placemark's own id as ``id`` and the segment's id as ``id2``.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from pyogrio import write_arrow
from pyproj import CRS

from gis.exports.batches import SCHEMA
from gis.exports.formats import ExportFormat, FormatName

#: DBF field names for the columns whose names exceed the 10 characters a DBF allows.
SHAPEFILE_FIELDS: dict[str, str] = {
    "commune_code": "commune_cd",
    "commune_name": "commune_nm",
    "placement_kind": "plc_kind",
    "state_since": "state_date",
}

#: The files a zipped Shapefile holds, by extension.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

LAYER = "segments"


def write_ogr(
    batches: Iterator[pa.RecordBatch], path: Path, fmt: ExportFormat, crs: CRS,
    layer: str = LAYER,
) -> None:
    """Write ``batches`` (:data:`~gis.exports.batches.SCHEMA`, geometry in ``crs``) to
    ``path`` in ``fmt`` (gpkg, shp.zip or kml), replacing the file."""
    path = Path(path)
    path.unlink(missing_ok=True)
    if fmt.name is FormatName.SHP_ZIP:
        _write_shapefile_zip(batches, path, crs, layer)
    elif fmt.name is FormatName.GPKG:
        _write(batches, SCHEMA, path, "GPKG", crs, layer)
    elif fmt.name is FormatName.KML:
        _write(_iso_dates(batches), _KML_SCHEMA, path, "KML", crs, layer)
    else:
        raise ValueError(f"{fmt.name.value} is not written by GDAL")


def _write(batches: Iterator[pa.RecordBatch], schema: pa.Schema, path: Path, driver: str,
           crs: CRS, layer: str, encoding: str | None = None) -> None:
    failure: list[BaseException] = []

    def guarded() -> Iterator[pa.RecordBatch]:
        # An error while reading (the database) reaches GDAL as a failed stream; keep the
        # original to raise it rather than GDAL's message about the stream.
        try:
            yield from batches
        except BaseException as exc:
            failure.append(exc)
            raise

    reader = pa.RecordBatchReader.from_batches(schema, guarded())
    try:
        write_arrow(reader, str(path), layer=layer, driver=driver, geometry_name="geometry",
                    geometry_type="LineString", crs=crs.to_wkt(), encoding=encoding)
    except Exception:
        if failure:
            raise failure[0] from None
        raise


#: KML has no date type (GDAL would write 2024/06/01): dates go as ISO text, 2024-06-01.
_KML_SCHEMA = pa.schema([field.with_type(pa.string()) if field.name == "state_since" else field
                         for field in SCHEMA])


def _iso_dates(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        columns = [column.cast(pa.string()) if name == "state_since" else column
                   for name, column in zip(batch.schema.names, batch.columns, strict=True)]
        yield pa.RecordBatch.from_arrays(columns, schema=_KML_SCHEMA)


def _write_shapefile_zip(batches: Iterator[pa.RecordBatch], path: Path, crs: CRS,
                         layer: str) -> None:
    """The Shapefile next to ``path`` (same directory), zipped into ``path``, parts removed."""
    schema = pa.schema([field.with_name(SHAPEFILE_FIELDS.get(field.name, field.name))
                        for field in SCHEMA])
    renamed = (pa.RecordBatch.from_arrays(batch.columns, schema=schema) for batch in batches)
    shp = Path(tempfile.mkdtemp(prefix="shp-", dir=path.parent)) / f"{layer}.shp"
    try:
        _write(renamed, schema, shp, "ESRI Shapefile", crs, layer, encoding="UTF-8")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for extension in SHAPEFILE_PARTS:
                part = shp.with_suffix(extension)
                archive.write(part, arcname=part.name)
    finally:
        shutil.rmtree(shp.parent, ignore_errors=True)
