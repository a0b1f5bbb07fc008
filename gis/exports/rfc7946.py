"""A checker for GeoJSON documents against RFC 7946, usable on any GeoJSON file.

It reports what an RFC 7946 consumer may trip on, each problem with a JSON path
(``features[3].geometry.coordinates[0]``):

* the text: UTF-8 without a byte order mark (RFC 7946 section 11, RFC 8259 section 8.1);
* structure: a FeatureCollection of Features (or a lone Feature or Geometry), ``type`` members,
  ``geometry`` and ``properties`` present on every Feature, ``id`` a string or number (3.2);
* no ``crs`` member anywhere (RFC 7946 removed it: coordinates are WGS 84, section 4);
* geometry types and coordinate nesting (3.1): positions of 2 or 3 numbers, LineStrings of
  2 positions or more, closed linear rings of 4 or more;
* longitude in -180..180 and latitude in -90..90 (which catches swapped axes in Vietnam:
  ``[20.45, 106.34]`` has a latitude of 106.34);
* at most ``max_decimals`` decimals per coordinate (section 11.2 advises 6; 7 decimals are
  about 1 cm on the ground);
* ``bbox`` (section 5): 4 or 6 numbers, south-west before north-east, containing every
  position of its object;
* optionally, ids unique within the collection.

The document is parsed whole (``json`` with decimal numbers, to count decimals exactly): a
1,000,000-segment file needs a few GB of memory, so use it on test-sized output or samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                            "MultiPolygon", "GeometryCollection"})

#: Nesting depth of ``coordinates`` per geometry type (0: a position).
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}


@dataclass(frozen=True)
class Problem:
    """One breach of RFC 7946: where in the document (a JSON path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


def check_file(path: Path | str, *, max_decimals: int = 7,
               unique_ids: bool = True) -> list[Problem]:
    """Check the GeoJSON file at ``path``; an empty list means it conforms."""
    return check_bytes(Path(path).read_bytes(), max_decimals=max_decimals,
                       unique_ids=unique_ids)


def check_bytes(data: bytes, *, max_decimals: int = 7, unique_ids: bool = True) -> list[Problem]:
    """Check a GeoJSON text given as bytes (it must be UTF-8, without a byte order mark)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return [Problem("", "the text starts with a byte order mark (RFC 8259 8.1 forbids it)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem("", f"the text is not UTF-8 (RFC 7946 section 11): {exc}")]
    return check_text(text, max_decimals=max_decimals, unique_ids=unique_ids)


def check_text(text: str, *, max_decimals: int = 7, unique_ids: bool = True) -> list[Problem]:
    """Check a GeoJSON text; numbers are read as decimals so that their digits can be counted."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return [Problem("", f"not JSON: {exc}")]
    return check_document(document, max_decimals=max_decimals, unique_ids=unique_ids)


def check_document(document: Any, *, max_decimals: int = 7,
                   unique_ids: bool = True) -> list[Problem]:
    """Check a parsed GeoJSON document (parse floats as :class:`~decimal.Decimal` for the
    decimals check; plain floats are checked on their shortest repr)."""
    checker = _Checker(max_decimals, unique_ids)
    checker.any_object(document, "")
    return checker.problems


class _Checker:
    """Walks a document and collects :class:`Problem` s."""

    def __init__(self, max_decimals: int, unique_ids: bool) -> None:
        self.max_decimals = max_decimals
        self.unique_ids = unique_ids
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def any_object(self, obj: Any, path: str) -> None:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "FeatureCollection":
            self.collection(obj, path)
        elif kind == "Feature":
            self.feature(obj, path)
        elif kind in GEOMETRY_TYPES:
            self.geometry(obj, path)
        else:
            self.add(path, f"not a GeoJSON object (type {kind!r})")

    def common(self, obj: dict, path: str) -> None:
        if "crs" in obj:
            self.add(_join(path, "crs"), "the crs member is not part of RFC 7946 (coordinates "
                                         "are WGS 84 longitude, latitude)")

    def collection(self, obj: dict, path: str) -> None:
        self.common(obj, path)
        features = obj.get("features")
        if not isinstance(features, list):
            self.add(_join(path, "features"), "a FeatureCollection needs a features array")
            return
        for member in ("coordinates", "geometries", "geometry", "properties"):
            if member in obj:
                self.add(_join(path, member), f"a FeatureCollection must not have {member}")
        seen: set[Any] = set()
        positions: list[list] = []
        for index, feature in enumerate(features):
            where = f"{_join(path, 'features')}[{index}]"
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                self.add(where, "each member of features must be a Feature")
                continue
            positions.extend(self.feature(feature, where))
            if self.unique_ids and "id" in feature:
                key = (type(feature["id"]) is str, feature["id"])
                if key in seen:
                    self.add(_join(where, "id"), f"duplicate id {feature['id']!r}")
                seen.add(key)
        self.bbox(obj, path, positions)

    def feature(self, obj: dict, path: str) -> list[list]:
        self.common(obj, path)
        for member in ("coordinates", "geometries"):
            if member in obj:
                self.add(_join(path, member), f"a Feature must not have {member}")
        if "id" in obj and (isinstance(obj["id"], bool)
                            or not isinstance(obj["id"], str | int | float | Decimal)):
            self.add(_join(path, "id"), "a Feature id must be a string or a number")
        if "properties" not in obj:
            self.add(_join(path, "properties"), "a Feature needs properties (an object or null)")
        elif obj["properties"] is not None and not isinstance(obj["properties"], dict):
            self.add(_join(path, "properties"), "properties must be an object or null")
        if "geometry" not in obj:
            self.add(_join(path, "geometry"), "a Feature needs geometry (an object or null)")
            return []
        geometry = obj["geometry"]
        if geometry is None:
            positions: list[list] = []
        elif not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
            kind = geometry.get("type") if isinstance(geometry, dict) else geometry
            self.add(_join(path, "geometry"), f"not a GeoJSON geometry (type {kind!r})")
            positions = []
        else:
            positions = self.geometry(geometry, _join(path, "geometry"))
        self.bbox(obj, path, positions)
        return positions

    def geometry(self, obj: dict, path: str) -> list[list]:
        self.common(obj, path)
        for member in ("geometry", "properties", "features"):
            if member in obj:
                self.add(_join(path, member), f"a geometry must not have {member}")
        kind = obj["type"]
        positions: list[list] = []
        if kind == "GeometryCollection":
            members = obj.get("geometries")
            if not isinstance(members, list):
                self.add(_join(path, "geometries"), "a GeometryCollection needs geometries")
                return []
            for index, member in enumerate(members):
                where = f"{_join(path, 'geometries')}[{index}]"
                if not isinstance(member, dict) or member.get("type") not in GEOMETRY_TYPES:
                    self.add(where, "not a GeoJSON geometry")
                    continue
                positions.extend(self.geometry(member, where))
        elif "coordinates" not in obj:
            self.add(_join(path, "coordinates"), f"a {kind} needs coordinates")
        else:
            self.coordinates(obj["coordinates"], kind, _DEPTH[kind],
                             _join(path, "coordinates"), positions)
        self.bbox(obj, path, positions)
        return positions

    def coordinates(self, value: Any, kind: str, depth: int, path: str,
                    positions: list[list]) -> None:
        if depth == 0:
            if self.position(value, path):
                positions.append(value)
            return
        if not isinstance(value, list):
            self.add(path, f"{kind} coordinates are nested {_DEPTH[kind]} arrays deep")
            return
        for index, item in enumerate(value):
            self.coordinates(item, kind, depth - 1, f"{path}[{index}]", positions)
        line_level = (kind in ("LineString", "MultiLineString") and depth == 1)
        ring_level = (kind in ("Polygon", "MultiPolygon") and depth == 1)
        if line_level and len(value) < 2:
            self.add(path, "a LineString needs 2 positions or more")
        if ring_level:
            if len(value) < 4:
                self.add(path, "a linear ring needs 4 positions or more")
            elif value[0] != value[-1]:
                self.add(path, "a linear ring must end at its first position")

    def position(self, value: Any, path: str) -> bool:
        if not isinstance(value, list) or not 2 <= len(value) <= 3 or not all(
                _is_number(v) for v in value):
            self.add(path, "a position is an array of 2 or 3 numbers (longitude, latitude[, "
                           "height])")
            return False
        lon, lat = value[0], value[1]
        if not -180 <= lon <= 180:
            self.add(path, f"longitude {lon} is outside -180..180 (axes swapped?)")
        if not -90 <= lat <= 90:
            self.add(path, f"latitude {lat} is outside -90..90 (axes swapped?)")
        for axis, number in zip(("longitude", "latitude", "height"), value, strict=False):
            if _decimals(number) > self.max_decimals:
                self.add(path, f"{axis} {number} has {_decimals(number)} decimals; at most "
                               f"{self.max_decimals}")
        return True

    def bbox(self, obj: dict, path: str, positions: list[list]) -> None:
        if "bbox" not in obj:
            return
        box = obj["bbox"]
        where = _join(path, "bbox")
        if (not isinstance(box, list) or len(box) not in (4, 6)
                or not all(_is_number(v) for v in box)):
            self.add(where, "a bbox is an array of 4 (or 6, with heights) numbers")
            return
        axes = len(box) // 2
        west, south, east, north = box[0], box[1], box[axes], box[axes + 1]
        if south > north:
            self.add(where, f"bbox south {south} is north of its north {north}")
        for position in positions:
            lon, lat = position[0], position[1]
            inside_lon = west <= lon <= east if west <= east else (lon >= west or lon <= east)
            if not (inside_lon and south <= lat <= north):
                self.add(where, f"bbox does not contain the position [{lon}, {lat}]")
                return


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _decimals(number: Any) -> int:
    """Decimals written for ``number`` (a Decimal keeps them; a float uses its repr)."""
    if isinstance(number, int):
        return 0
    exponent = (number if isinstance(number, Decimal) else Decimal(repr(number))).as_tuple()[2]
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member
