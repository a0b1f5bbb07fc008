"""CQL2 text filters (OGC API - Features Part 3) to SQL with bound parameters.

pygeofilter parses the text into an AST; this module walks it and writes SQL over a
collection's relation ``p``, accepting only the collection's queryable properties (and
``geometry``) and these operators: ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``LIKE``,
``BETWEEN``, ``IN``, ``IS [NOT] NULL``, ``AND``, ``OR``, ``NOT`` and ``S_INTERSECTS`` with a WKT
geometry (or ``BBOX``) in ``filter-crs`` (default CRS84). Every literal is a bound
parameter; property names come from the whitelist, never from the text. Anything else raises
:func:`gis.errors.invalid` naming ``filter``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_text import parse

from gis.errors import invalid
from gis.ogc.collections import Collection
from gis.ogc.crs import CRS84, OgcCrs

#: Largest PostgreSQL bigint: a bigger integer literal is refused, not sent.
_INT8_MAX = 2**63 - 1

#: The name a filter uses for the features' geometry.
GEOMETRY = "geometry"
MAX_FILTER_LENGTH = 10000

_COMPARISONS: dict[type, str] = {
    ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
    ast.GreaterThan: ">", ast.GreaterEqual: ">=",
}
#: CQL2 type of a property -> PostgreSQL type of a literal compared with it.
_PG_TYPES = {"string": "text", "number": "double precision", "boolean": "boolean",
             "date": "date", "timestamp": "timestamptz"}


def _kind(prop_type: str, prop_format: str | None) -> str:
    if prop_format == "date":
        return "date"
    if prop_format == "date-time":
        return "timestamp"
    return "number" if prop_type in ("integer", "number") else prop_type


@dataclass
class _Operand:
    sql: str
    kind: str | None  # None: a literal whose type follows the other side


@dataclass
class FilterSql:
    """The SQL condition of a filter over ``p`` and its bound parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def _bbox(arguments: list[Any]) -> values.Envelope:
    """The CQL2 ``BBOX(minX, minY, maxX, maxY)`` literal (6 numbers: heights ignored)."""
    numbers = [a for a in arguments if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if len(numbers) != len(arguments) or len(numbers) not in (4, 6):
        raise invalid("filter", "BBOX needs 4 (or 6) numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return values.Envelope(numbers[0], numbers[2], numbers[1], numbers[3])


class _Translator:
    def __init__(self, collection: Collection, crs: OgcCrs, scoped: bool) -> None:
        self.collection = collection
        self.crs = crs
        self.scoped = scoped
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"f{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # ------------------------------------------------------------ operands
    def attribute(self, node: ast.Attribute) -> _Operand:
        prop = self.collection.property(node.name)
        if prop is None:
            known = ", ".join(p.name for p in self.collection.properties)
            raise invalid("filter", f"unknown property {node.name!r} in the filter of "
                                    f"{self.collection.id}; queryables: {known}")
        return _Operand(prop.sql, _kind(prop.type, prop.format))

    def literal(self, value: Any, kind: str) -> str:
        expected = {
            "string": (str,), "number": (int, float), "boolean": (bool,),
            "date": (date, str), "timestamp": (datetime, date, str),
        }[kind]
        if isinstance(value, bool) and kind != "boolean" or not isinstance(value, expected):
            raise invalid("filter", f"the literal {value!r} does not fit a {kind} property")
        if kind == "date" and isinstance(value, datetime):
            raise invalid("filter", "compare a date property with DATE('YYYY-MM-DD')")
        if isinstance(value, str) and kind in ("date", "timestamp"):
            try:
                value = (date.fromisoformat(value) if kind == "date"
                         else datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                raise invalid("filter", f"{value!r} is not a {kind}") from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT8_MAX:
            raise invalid("filter", f"the number {value} is out of range")
        pg_type = "bigint" if kind == "number" and isinstance(value, int) else _PG_TYPES[kind]
        return f"CAST({self.bind(value)} AS {pg_type})"

    def operand(self, node: Any) -> _Operand:
        if isinstance(node, ast.Attribute):
            if node.name == GEOMETRY:
                raise invalid("filter", "geometry can only be used in S_INTERSECTS")
            return self.attribute(node)
        if isinstance(node, (str, int, float, bool, date, datetime)):
            return _Operand("", None)  # resolved by the caller with the other side's type
        raise invalid("filter", f"unsupported expression {type(node).__name__} in the filter "
                                "(compare a property with a literal)")

    def pair(self, lhs: Any, rhs: Any) -> tuple[str, str]:
        left, right = self.operand(lhs), self.operand(rhs)
        if left.kind is None and right.kind is None:
            raise invalid("filter", "a comparison needs a property on one side")
        if left.kind is not None and right.kind is not None:
            if left.kind != right.kind:
                raise invalid("filter", f"cannot compare a {left.kind} with a {right.kind}")
            return left.sql, right.sql
        if left.kind is None:
            return self.literal(lhs, right.kind), right.sql
        return left.sql, self.literal(rhs, left.kind)

    def geometry(self, node: Any) -> str:
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            node = _bbox(node.arguments)
        if isinstance(node, (values.Geometry, values.Envelope)):
            text = json.dumps(self.crs.storage_geometry(node.geometry))
            try:  # GEOS must be able to build it (closed rings, finite coordinates)
                shape = shapely.from_geojson(text)
            except shapely.errors.GEOSException as exc:
                raise invalid("filter", f"the geometry of S_INTERSECTS is not valid: {exc}"
                              ) from None
            coords = shapely.get_coordinates(shape)
            if not shapely.is_valid_input(shape) or not np.isfinite(coords).all():
                raise invalid("filter", "the geometry of S_INTERSECTS is not valid")
            if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
                raise invalid("filter", "the geometry of S_INTERSECTS is not valid: a coordinate "
                                        "is outside longitude -180..180, latitude -90..90 "
                                        "(swapped axes? see filter-crs)")
            if not shapely.is_valid(shape):
                raise invalid("filter", "the geometry of S_INTERSECTS is not valid: "
                                        f"{shapely.is_valid_reason(shape)}")
            return f"ST_SetSRID(ST_GeomFromGeoJSON({self.bind(text)}), 4326)"
        raise invalid("filter", "S_INTERSECTS needs the property geometry and a WKT geometry")

    # ------------------------------------------------------------ predicates
    def node(self, node: Any) -> str:
        if isinstance(node, ast.And):
            return f"({self.node(node.lhs)} AND {self.node(node.rhs)})"
        if isinstance(node, ast.Or):
            return f"({self.node(node.lhs)} OR {self.node(node.rhs)})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.node(node.sub_node)})"
        op = _COMPARISONS.get(type(node))
        if op is not None:
            left, right = self.pair(node.lhs, node.rhs)
            return f"({left} {op} {right})"
        if isinstance(node, ast.IsNull):
            prop = self.operand(node.lhs)
            if prop.kind is None:
                raise invalid("filter", "IS NULL needs a property")
            return f"({prop.sql} IS {'NOT ' if node.not_ else ''}NULL)"
        if isinstance(node, ast.Like):
            if node.nocase:
                raise invalid("filter", "case-insensitive LIKE is not supported")
            prop = self.operand(node.lhs)
            if prop.kind != "string":
                raise invalid("filter", "LIKE needs a string property")
            pattern = self.literal(node.pattern, "string")
            return f"({prop.sql} {'NOT ' if node.not_ else ''}LIKE {pattern})"
        if isinstance(node, ast.Between):
            low, _ = self.pair(node.low, node.lhs)
            high, prop = self.pair(node.high, node.lhs)
            return f"({prop} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high})"
        if isinstance(node, ast.In):
            if not node.sub_nodes:
                raise invalid("filter", "IN needs at least one value")
            pairs = [self.pair(node.lhs, value) for value in node.sub_nodes]
            listed = ", ".join(value for _, value in pairs)
            return f"({pairs[0][0]} {'NOT ' if node.not_ else ''}IN ({listed}))"
        if isinstance(node, ast.GeometryIntersects):
            sides = [node.lhs, node.rhs]
            attrs = [s for s in sides if isinstance(s, ast.Attribute)]
            if len(attrs) != 1 or attrs[0].name != GEOMETRY:
                raise invalid("filter", "S_INTERSECTS needs the property geometry and a WKT "
                                        "geometry")
            other = node.rhs if node.lhs is attrs[0] else node.lhs
            env = self.geometry(other)
            return "(" + self.collection.spatial_sql(env, scoped=self.scoped) + ")"
        if isinstance(node, ast.Include):  # INCLUDE / EXCLUDE
            return "false" if node.not_ else "true"
        name = getattr(node, "op", None)
        label = getattr(name, "value", None) or type(node).__name__
        raise invalid("filter", f"the operator {label} is not supported; use =, <>, <, <=, >, "
                                ">=, LIKE, BETWEEN, IN, IS NULL, AND, OR, NOT or S_INTERSECTS")


def translate(
    text: str, collection: Collection, crs: OgcCrs = CRS84, *, scoped: bool = False
) -> FilterSql:
    """The SQL condition of the CQL2 text ``text`` over ``collection``'s relation ``p``, with
    literals bound; geometries are read in ``crs``; ``scoped``: the session is under row-level
    security (see :meth:`Collection.spatial_sql`). ValidationFailed (``filter``) otherwise."""
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid("filter", f"the filter is longer than {MAX_FILTER_LENGTH} characters")
    try:
        tree = parse(text)
    except Exception as exc:  # noqa: BLE001 - lark raises many kinds; all mean bad syntax
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise invalid("filter", f"the filter is not valid CQL2 text: {first}") from None
    translator = _Translator(collection, crs, scoped)
    return FilterSql(translator.node(tree), translator.params)
