"""Counting what a Mapbox Vector Tile holds without decoding its geometries.

A tile is a protobuf ``Tile { repeated Layer layers = 3; }`` with ``Layer { string name = 1;
repeated Feature features = 2; repeated string keys = 3; repeated Value values = 4; }`` and
``Feature { repeated uint32 tags = 2 [packed]; ... }``; walking the field tags is enough to
count features and read one numeric attribute, and much faster than decoding a 10,000-feature
tile in Python.
"""

from __future__ import annotations

import struct

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes):
    """Yield ``(field number, value)`` for each field of a message: an int for a varint,
    the bytes for a length-delimited or fixed-size field."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire in (_BYTES, _FIXED64, _FIXED32):
            if wire == _BYTES:
                size, pos = _varint(data, pos)
            else:
                size = 8 if wire == _FIXED64 else 4
            yield number, data[pos:pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _number(value: bytes) -> float | None:
    """A numeric ``Value`` (float, double, int, uint or sint); None for a string or bool."""
    for field, raw in _fields(value):
        if field == 2:
            return struct.unpack("<f", raw)[0]
        if field == 3:
            return struct.unpack("<d", raw)[0]
        if field in (4, 5):
            return raw - (1 << 64) if field == 4 and raw >= 1 << 63 else raw
        if field == 6:
            return (raw >> 1) ^ -(raw & 1)
    return None


def _packed(data: bytes) -> list[int]:
    values, pos = [], 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        values.append(value)
    return values


def layer_counts(tile: bytes, weight: str = "segments") -> dict[str, tuple[int, float]]:
    """Per layer name: (features, segments represented). A feature with a numeric ``weight``
    attribute (an aggregate) represents that many segments, any other feature one."""
    counts: dict[str, tuple[int, float]] = {}
    for number, layer in _fields(tile):
        if number != 3:
            continue
        name, keys, values, features = "", [], [], []
        for field, payload in _fields(layer):
            if field == 1:
                name = payload.decode()
            elif field == 2:
                features.append(payload)
            elif field == 3:
                keys.append(payload.decode())
            elif field == 4:
                values.append(payload)
        weight_key = keys.index(weight) if weight in keys else None
        represented = 0.0
        for feature in features:
            tags = next((_packed(p) for f, p in _fields(feature) if f == 2), [])
            pairs = dict(zip(tags[::2], tags[1::2], strict=False))
            value = (_number(values[pairs[weight_key]])
                     if weight_key is not None and weight_key in pairs else None)
            represented += 1 if value is None else value
        before = counts.get(name, (0, 0.0))
        counts[name] = (before[0] + len(features), before[1] + represented)
    return counts


def feature_count(tile: bytes) -> int:
    """All features of a tile, over its layers (0 for an empty tile)."""
    return sum(features for features, _ in layer_counts(tile).values())


def represented_segments(tile: bytes) -> int:
    """Segments a tile stands for, over its layers (aggregates count their ``segments``)."""
    return round(sum(represented for _, represented in layer_counts(tile).values()))
