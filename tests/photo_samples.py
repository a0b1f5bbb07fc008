"""Real image bytes for photo tests, made with Pillow: JPEG/PNG/WebP with or without EXIF time
and GPS, a damaged PNG, and a PNG header claiming a decompression bomb's pixel count."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

#: A point near Thái Bình city (lon, lat), WGS 84.
THAI_BINH = (106.3367, 20.4601)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = round((minutes_full - minutes) * 60 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def exif_bytes(taken: str | None = None, offset: str | None = None,
               lonlat: tuple[float, float] | None = None) -> bytes:
    """EXIF with DateTimeOriginal ``taken`` ("YYYY:MM:DD HH:MM:SS"), OffsetTimeOriginal and a
    GPS position (lon, lat; negative = W/S), each only when given."""
    exif = Image.Exif()
    if taken or offset:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        if taken:
            ifd[ExifTags.Base.DateTimeOriginal] = taken
        if offset:
            ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if lonlat:
        lon, lat = lonlat
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    return exif.tobytes()


def image_bytes(fmt: str = "JPEG", *, size: tuple[int, int] = (64, 48),
                colour: tuple[int, int, int] = (200, 40, 40), taken: str | None = None,
                offset: str | None = None,
                lonlat: tuple[float, float] | None = None) -> bytes:
    """An image in ``fmt`` (JPEG, PNG, WEBP, GIF ...), with EXIF when any of taken/offset/lonlat
    is given."""
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    kwargs = {}
    if taken or offset or lonlat:
        kwargs["exif"] = exif_bytes(taken, offset, lonlat)
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def jpeg(**kwargs) -> bytes:
    """A small JPEG (see :func:`image_bytes`)."""
    return image_bytes("JPEG", **kwargs)


def png(**kwargs) -> bytes:
    """A small PNG (see :func:`image_bytes`)."""
    return image_bytes("PNG", **kwargs)


def damaged_png() -> bytes:
    """A PNG whose image data chunk fails its CRC."""
    data = bytearray(png())
    at = data.index(b"IDAT") + 6
    data[at] ^= 0xFF
    return bytes(data)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG file whose header claims ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + _chunk(b"IEND", b""))
