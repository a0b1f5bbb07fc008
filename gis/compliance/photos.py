"""Photos as evidence of a visit: checked by content, content-addressed on disk, EXIF read.

A visit announces ``photos_expected`` photos; each arrives in its slot (1..n) and the visit is
complete when every slot has one. The bytes are opened with Pillow (only JPEG, PNG and WebP;
the extension and the client's media type are never trusted), hashed with SHA-256 and stored
at ``photo_dir / sha[:2] / "<sha>.<ext>"`` (no user-supplied name or path ever reaches the
file system), written to a temporary file in that directory and renamed into place.

EXIF ``DateTimeOriginal`` (with ``OffsetTimeOriginal``, else Vietnam's +07:00) becomes
``taken_at``; EXIF GPS latitude/longitude becomes ``position`` (a WGS 84 / EPSG:4326 point).
A file written for a request whose transaction then rolls back stays on disk: it is
content-addressed, so it is harmless and is reused if the same bytes arrive again.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from geoalchemy2.shape import from_shape
from PIL import ExifTags, Image, UnidentifiedImageError
from shapely import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.auth import ForbiddenError, Principal, require_role
from gis.choices import Role
from gis.compliance.visit_errors import (
    InvalidVisitError,
    PhotoTooLargeError,
    ReferenceNotFoundError,
    UnsupportedPhotoError,
    VisitConflictError,
)
from gis.errors import NotFoundError
from gis.models import Inspection, Photo
from gis.settings import Settings

#: Pillow format -> (media type, file extension). Nothing else is accepted.
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
#: Largest image accepted, in pixels (Pillow's own decompression-bomb threshold).
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Offset assumed for an EXIF time without OffsetTimeOriginal (cameras in Vietnam).
VIETNAM_OFFSET = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class PhotoFacts:
    """What the bytes of a photo are: type, size, SHA-256, pixels, EXIF time and position."""

    media_type: str
    ext: str
    sha256: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class StoredPhoto:
    """The photo row of a slot; ``created`` is False when the same bytes were already there."""

    photo: Photo
    created: bool


def _exif_time(exif: Image.Exif) -> datetime | None:
    """EXIF DateTimeOriginal (+ OffsetTimeOriginal, else +07:00) as an aware datetime."""
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(ExifTags.Base.OffsetTimeOriginal)
    zone = VIETNAM_OFFSET
    if isinstance(offset, str):
        try:
            zone = datetime.strptime(offset.strip("\x00 ").strip(), "%z").tzinfo or zone
        except ValueError:
            zone = VIETNAM_OFFSET
    return moment.replace(tzinfo=zone)


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and N/S/E/W reference -> signed degrees."""
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        degrees = -degrees
    return degrees


def _exif_position(exif: Image.Exif) -> tuple[float, float] | None:
    """EXIF GPS latitude/longitude as (lon, lat) in WGS 84, when present and plausible."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef),
                   "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def inspect_photo(data: bytes, max_bytes: int) -> PhotoFacts:
    """Check ``data`` by content and read its facts.

    Raises :class:`PhotoTooLargeError` (over ``max_bytes`` bytes or :data:`MAX_PIXELS` pixels),
    :class:`UnsupportedPhotoError` (not JPEG/PNG/WebP), or :class:`InvalidVisitError` on field
    ``file`` (empty or damaged image).
    """
    if len(data) > max_bytes:
        raise PhotoTooLargeError(f"the photo is {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data:
        raise InvalidVisitError.one("file", "the photo is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                fmt = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise PhotoTooLargeError(
                        f"the photo is {width}×{height} pixels; the limit is {MAX_PIXELS:,}")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                exif = image.getexif()
                taken_at = _exif_time(exif)
                position = _exif_position(exif)
    except PhotoTooLargeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooLargeError(f"the photo has too many pixels ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedPhotoError(
            "the file is not a JPEG, PNG or WebP image (checked by content, not by name)"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on damaged files
        raise InvalidVisitError.one("file", f"the image is damaged: {exc}") from exc
    if fmt not in FORMATS:
        raise UnsupportedPhotoError(f"{fmt} images are not accepted; send JPEG, PNG or WebP")
    media_type, ext = FORMATS[fmt]
    return PhotoFacts(
        media_type=media_type, ext=ext, sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data), width=width, height=height, taken_at=taken_at,
        lon=position[0] if position else None, lat=position[1] if position else None,
    )


def storage_key(sha256: str, ext: str) -> str:
    """The path of a photo under the photo directory: ``ab/ab12...ef.jpg``."""
    return f"{sha256[:2]}/{sha256}.{ext}"


def _write(photo_dir: Path, key: str, data: bytes) -> None:
    """Write ``data`` at ``photo_dir/key`` atomically (temp file in the same directory)."""
    target = photo_dir / key
    if target.is_file() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _slot_photo(session: Session, inspection_id: int, slot: int) -> Photo | None:
    return session.scalar(
        select(Photo).where(Photo.inspection_id == inspection_id, Photo.slot == slot))


def _visit_and_slot(session: Session, inspection_id: int, slot: int) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFoundError(f"visit {inspection_id} does not exist")
    if slot < 1:
        raise InvalidVisitError.one("slot", "photo slots are numbered from 1")
    if slot > inspection.photos_expected:
        raise ReferenceNotFoundError(
            "slot", f"visit {inspection_id} announced {inspection.photos_expected} photo(s); "
                    f"there is no slot {slot}")
    return inspection


def store_photo(session: Session, principal: Principal, inspection_id: int, slot: int,
                data: bytes, settings: Settings) -> StoredPhoto:
    """Store ``data`` as photo ``slot`` of visit ``inspection_id``.

    Only the visit's inspector or an admin may. The same bytes again are a no-op
    (``created`` False); other bytes in a filled slot raise :class:`VisitConflictError`.
    """
    require_role(principal, Role.INSPECTOR, Role.ADMIN)
    inspection = _visit_and_slot(session, inspection_id, slot)
    if principal.role is not Role.ADMIN and inspection.inspector_id != principal.user_id:
        raise ForbiddenError(
            f"visit {inspection_id} was recorded by another inspector; only they or an admin "
            "may add its photos")
    facts = inspect_photo(data, settings.photo_max_bytes)
    key = storage_key(facts.sha256, facts.ext)
    existing = _slot_photo(session, inspection_id, slot)
    if existing is not None:
        if existing.sha256 != facts.sha256:
            raise VisitConflictError(
                "file", f"slot {slot} of visit {inspection_id} already holds another photo "
                        f"(SHA-256 {existing.sha256}); photos are never replaced")
        _write(settings.photo_dir, key, data)  # restore a file lost from the store
        return StoredPhoto(existing, False)
    _write(settings.photo_dir, key, data)
    photo = Photo(
        inspection_id=inspection_id, slot=slot, sha256=facts.sha256,
        media_type=facts.media_type, size_bytes=facts.size_bytes,
        width=facts.width, height=facts.height, taken_at=facts.taken_at,
        position=(from_shape(Point(facts.lon, facts.lat), srid=4326)
                  if facts.lon is not None and facts.lat is not None else None),
        storage_key=key,
    )
    session.add(photo)
    session.flush()
    return StoredPhoto(photo, True)


def photo_file(session: Session, inspection_id: int, slot: int,
               settings: Settings) -> tuple[Photo, Path]:
    """The photo in ``slot`` of a visit the session can see, and its file on disk.

    NotFoundError when the visit (or slot) is unknown or invisible, or nothing arrived yet.
    """
    _visit_and_slot(session, inspection_id, slot)
    photo = _slot_photo(session, inspection_id, slot)
    if photo is None:
        raise NotFoundError(f"photo {slot} of visit {inspection_id} has not arrived yet")
    root = settings.photo_dir.resolve()
    path = (root / storage_key(photo.sha256, photo.storage_key.rsplit(".", 1)[-1])).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFoundError(f"the file of photo {slot} of visit {inspection_id} is missing "
                            "from the photo store")
    return photo, path


def is_complete(photos_expected: int, photos_received: int) -> bool:
    """A visit is complete when every announced photo has arrived."""
    return photos_received >= photos_expected


def visit_complete(session: Session, inspection_id: int) -> bool:
    """Whether every photo visit ``inspection_id`` announced has arrived."""
    expected = session.scalar(
        select(Inspection.photos_expected).where(Inspection.id == inspection_id))
    received = session.scalar(
        select(func.count()).select_from(Photo).where(Photo.inspection_id == inspection_id))
    return is_complete(expected or 0, received or 0)
