"""Reading a cable layer from a file: GeoJSON, GeoPackage, Shapefile (zipped or not), KML,
FlatGeobuf, or CSV with a WKT column.

The reader returns attributes as a plain DataFrame and the geometry as a shapely array in the
file's own coordinates; it does not judge rows (that is validation's job) and never guesses a
CRS: ``crs`` is None when the file does not say.

Row numbers are what a user sees: for layers, the feature's position in the layer (1 = first
feature); for CSV, the line in the file, counting the header as line 1 (so the first data row
is line 2; records are assumed to be one line each).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
from pyogrio.raw import read as read_raw
from pyproj import CRS

from gis.errors import ImportFileError, MappingError
from gis.importers.cells import as_text
from gis.importers.mapping import Mapping
from gis.importers.options import SUPPORTED_FORMATS

_EWKT_SRID = re.compile(r"^\s*SRID=(\d+)\s*;\s*", re.IGNORECASE)


@dataclass
class SourceLayer:
    """One layer as read: attributes, geometry in the file's CRS, and how rows are numbered."""

    file_name: str
    format: str
    layer: str
    attributes: pd.DataFrame
    geometry: np.ndarray
    crs: CRS | None
    crs_implied: bool
    row_numbers: np.ndarray
    row_unit: str
    geometry_errors: np.ndarray | None = None  # why a present geometry could not be read
    implicit_columns: frozenset[str] = frozenset()  # ids the format adds (GeoPackage fid ...)

    def __len__(self) -> int:
        return len(self.geometry)


def read_layer(path: Path | str, mapping: Mapping, layer: str | None = None) -> SourceLayer:
    """Read the cable layer of ``path``; ``layer`` picks one of several (GeoPackage, KML, zip).

    Raises ImportFileError when the file is missing, of an unknown format, unreadable, has no
    or several candidate layers, or the layer is empty.
    """
    file = Path(path)
    if not file.is_file():
        raise ImportFileError(f"{file} does not exist or is not a file")
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED_FORMATS:
        supported = ", ".join(f"{s} ({name})" for s, name in SUPPORTED_FORMATS.items())
        raise ImportFileError(
            f"{file.name}: unknown file type {suffix or '(none)'}; supported: {supported}"
        )
    if suffix == ".csv":
        source = _read_csv(file, mapping)
    else:
        dataset = _zipped_shapefile(file, layer) if suffix == ".zip" else str(file)
        layer_name = None if suffix == ".zip" else _pick_layer(dataset, file.name, layer)
        source = _read_ogr(dataset, file, SUPPORTED_FORMATS[suffix], layer_name)
    if len(source) == 0:
        raise ImportFileError(f"{file.name}: layer {source.layer!r} has no features")
    return source


def _zipped_shapefile(file: Path, layer: str | None) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"{file.name} is not a readable zip file: {exc}") from exc
    shapefiles = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
    if layer is not None:
        shapefiles = [n for n in shapefiles if Path(n).stem == layer or n == layer]
    if not shapefiles:
        wanted = f"shapefile named {layer!r}" if layer else ".shp file"
        raise ImportFileError(
            f"{file.name} has no {wanted} (it contains: {', '.join(names[:20]) or 'nothing'})"
        )
    if len(shapefiles) > 1:
        choices = ", ".join(Path(n).stem for n in shapefiles)
        raise ImportFileError(
            f"{file.name} holds several shapefiles ({choices}); pick one with --layer NAME"
        )
    return f"/vsizip/{file.resolve()}/{shapefiles[0]}"


def _pick_layer(dataset: str, file_name: str, wanted: str | None) -> str:
    try:
        layers = pyogrio.list_layers(dataset)
    except (DataSourceError, DataLayerError) as exc:
        raise ImportFileError(f"cannot open {file_name}: {_first_line(exc)}") from exc
    names = [str(name) for name, _ in layers]
    if wanted is not None:
        if wanted not in names:
            raise ImportFileError(
                f"{file_name} has no layer {wanted!r} (layers: {', '.join(names) or 'none'})"
            )
        return wanted
    spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise ImportFileError(f"{file_name} has no layer with geometry")
    raise ImportFileError(
        f"{file_name} has several layers ({', '.join(spatial)}); pick one with --layer NAME"
    )


@contextmanager
def _quiet_geometry_warnings() -> Iterator[None]:
    """Silence the libraries' own warnings about broken geometries (shapely: "invalid value
    encountered in from_wkb" for a NaN coordinate; pyogrio: "Unsupported geometry type").
    Validation reports each such row by number and field; the raw warning on the user's
    terminal would only add a Python file path."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="invalid value encountered",
                                category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="Unsupported geometry type",
                                category=RuntimeWarning)
        yield


def _read_ogr(dataset: str, file: Path, format_name: str, layer: str | None) -> SourceLayer:
    with _quiet_geometry_warnings():
        return _read_ogr_layer(dataset, file, format_name, layer)


def _read_ogr_layer(dataset: str, file: Path, format_name: str,
                    layer: str | None) -> SourceLayer:
    geometry_errors = None
    try:
        info = pyogrio.read_info(dataset, layer=layer)
        # Arrow: the layer comes in column batches instead of feature by feature (4x faster).
        try:
            frame = pyogrio.read_dataframe(dataset, layer=layer, fid_as_index=True,
                                           use_arrow=True)
        except shapely.errors.GEOSException:
            # Some feature's geometry cannot be built (a one-point LineString ...): read the
            # layer again leaving those out, and say for each why (a row problem, not a crash).
            frame = pyogrio.read_dataframe(dataset, layer=layer, fid_as_index=True,
                                           use_arrow=True, on_invalid="ignore")
            geometry_errors = _unbuildable_geometries(dataset, layer)
    except (DataSourceError, DataLayerError, FieldError, GeometryError) as exc:
        raise ImportFileError(f"cannot read {file.name}: {_first_line(exc)}") from exc
    geometry = np.asarray(frame.geometry.array, dtype=object)
    attributes = _valid_text(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    fids = frame.index.to_numpy()
    attributes.index = pd.RangeIndex(len(attributes))
    implicit: set[str] = set()
    fid_column = info.get("fid_column") or ""
    if fid_column and fid_column not in attributes.columns:
        # GeoPackage keeps its feature id as the table's key, not as a field.
        attributes.insert(0, fid_column, fids)
        implicit.add(fid_column)
    elif format_name == "GeoJSON" and "id" not in attributes.columns and _looks_like_ids(fids):
        # GeoJSON integer feature ids become OGR FIDs; expose them as "id".
        attributes.insert(0, "id", fids)
        implicit.add("id")
    if format_name == "KML" and {"id", "Name"} <= set(attributes.columns):
        # A Placemark is known by its id attribute, else by its name.
        ids = as_text(attributes["id"])
        attributes["id"] = np.where(np.equal(ids, None), as_text(attributes["Name"]), ids)
        implicit.add("id")
    crs = frame.crs
    return SourceLayer(
        file_name=file.name,
        format=format_name,
        layer=str(info.get("layer_name") or layer or file.stem),
        attributes=attributes,
        geometry=geometry,
        crs=crs,
        crs_implied=format_name == "GeoJSON" and crs is not None and not _has_crs_member(file),
        row_numbers=np.arange(1, len(attributes) + 1, dtype=np.int64),
        row_unit="feature",
        geometry_errors=geometry_errors,
        implicit_columns=frozenset(implicit),
    )


def _valid_text(attributes: pd.DataFrame) -> pd.DataFrame:
    """``attributes`` with Arrow text columns that hold bytes that are not UTF-8 (a file that
    says UTF-8 but is not) turned into Python text, those bytes as lone surrogates
    (``surrogateescape``): validation then names the row and field instead of Arrow failing
    on the whole column."""
    for name in attributes.columns:
        values = attributes[name].array
        if not hasattr(values, "__arrow_array__"):
            continue
        chunks = values.__arrow_array__()
        if not (pa.types.is_string(chunks.type) or pa.types.is_large_string(chunks.type)):
            continue
        try:
            chunks.validate(full=True)
        except pa.ArrowInvalid:
            raw = chunks.cast(pa.large_binary()).to_pylist()
            attributes[name] = pd.Series(
                [None if b is None else b.decode("utf-8", "surrogateescape") for b in raw],
                dtype=object, index=attributes.index)
    return attributes


def _unbuildable_geometries(dataset: str, layer: str | None) -> np.ndarray:
    """Per feature of the layer: why GEOS cannot build its geometry, None when it can."""
    geometry = read_raw(dataset, layer=layer, columns=[])[2]
    errors = np.full(len(geometry), None, dtype=object)
    for i, wkb in enumerate(geometry):
        if wkb is None:
            continue
        try:
            shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as exc:
            reason = _first_line(exc).removeprefix("IllegalArgumentException: ")
            errors[i] = f"geometry cannot be built: {reason}"
    return errors


def _looks_like_ids(fids: np.ndarray) -> bool:
    """OGR numbers GeoJSON features 0, 1, 2 ... unless they carry ids; anything else is ids."""
    return len(fids) > 0 and not np.array_equal(fids, np.arange(len(fids)))


def _has_crs_member(file: Path) -> bool:
    """Whether a GeoJSON file names its CRS (a legacy ``"crs"`` member near its start)."""
    with file.open("rb") as handle:
        head = handle.read(65536)
    return b'"crs"' in head


def _read_csv(file: Path, mapping: Mapping) -> SourceLayer:
    try:
        with file.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
        separator = max((",", ";", "\t"), key=header.count)
        frame = pd.read_csv(
            file, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=separator
        )
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{file.name} is not UTF-8 text; save it as CSV UTF-8") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise ImportFileError(f"cannot read {file.name} as CSV: {_first_line(exc)}") from exc
    column = mapping.resolve_columns(frame.columns).get("geometry")
    if column is None:
        raise MappingError(
            f"{file.name} has no geometry column (looked for "
            f"{', '.join(mapping.columns['geometry'])}; "
            f"columns: {', '.join(map(str, frame.columns))}); name it in a mapping file: "
            '[columns] geometry = "..."'
        )
    geometry, errors, srid = _parse_wkt(frame[column].to_numpy(dtype=object))
    return SourceLayer(
        file_name=file.name,
        format=SUPPORTED_FORMATS[".csv"],
        layer=file.stem,
        attributes=frame.drop(columns=[column]),
        geometry=geometry,
        crs=CRS.from_epsg(srid) if srid else None,
        crs_implied=False,
        row_numbers=np.arange(2, len(frame) + 2, dtype=np.int64),
        row_unit="line",
        geometry_errors=errors,
    )


def _parse_wkt(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Parse WKT (or EWKT with one ``SRID=n;`` for all rows); return geometry, errors, SRID."""
    text = pd.Series(texts, dtype=object).str.strip()
    srids = text.str.extract(_EWKT_SRID, expand=False).dropna().unique()
    if len(srids) > 1:
        raise ImportFileError(f"the WKT column mixes SRIDs ({', '.join(sorted(srids))})")
    text = text.str.replace(_EWKT_SRID, "", regex=True)
    present = (text != "").to_numpy()
    geometry = np.full(len(text), None, dtype=object)
    geometry[present] = shapely.from_wkt(text[present].to_numpy(dtype=object), on_invalid="ignore")
    errors = np.full(len(text), None, dtype=object)
    for i in np.flatnonzero(present & np.equal(geometry, None)):
        errors[i] = f"WKT cannot be read: {_wkt_error(text.iat[i])}"
    return geometry, errors, int(srids[0]) if len(srids) else None


def _wkt_error(text: str) -> str:
    try:
        shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        return _first_line(exc).removeprefix("ParseException: ")
    return "not WKT"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
