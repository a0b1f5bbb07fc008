"""Photos checked by content, content-addressed on disk, EXIF time and GPS read back."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from geoalchemy2.shape import to_shape

from gis.auth import ForbiddenError
from gis.compliance.photos import inspect_photo, photo_file, store_photo
from gis.compliance.visit_errors import (
    InvalidVisitError,
    PhotoTooLargeError,
    ReferenceNotFoundError,
    UnsupportedPhotoError,
    VisitConflictError,
)
from gis.compliance.visits import record_visit
from gis.errors import NotFoundError
from gis.settings import Settings
from tests.factories import make_operator, make_segment, make_user
from tests.photo_samples import THAI_BINH, bomb_png, damaged_png, image_bytes, jpeg, png
from tests.visit_samples import principal_of, visit_input


def test_jpeg_exif_time_and_gps_are_read():
    """DateTimeOriginal + OffsetTimeOriginal and GPS become taken_at and lon/lat."""
    facts = inspect_photo(jpeg(taken="2024:05:02 09:30:00", offset="+07:00", lonlat=THAI_BINH),
                          10**6)
    assert (facts.media_type, facts.ext, facts.width, facts.height) == ("image/jpeg", "jpg",
                                                                        64, 48)
    assert facts.taken_at == datetime(2024, 5, 2, 2, 30, tzinfo=UTC)
    assert facts.lon == pytest.approx(THAI_BINH[0], abs=1e-6)
    assert facts.lat == pytest.approx(THAI_BINH[1], abs=1e-6)


def test_exif_time_without_offset_is_vietnam_time():
    """With no OffsetTimeOriginal the camera is assumed to be on +07:00; S/W are negative."""
    facts = inspect_photo(image_bytes("WEBP", taken="2024:05:02 09:30:00",
                                      lonlat=(-43.2, -22.9)), 10**6)
    assert facts.media_type == "image/webp"
    assert facts.taken_at.utcoffset() == timedelta(hours=7)
    assert (facts.lon, facts.lat) == (pytest.approx(-43.2), pytest.approx(-22.9))
    other = inspect_photo(jpeg(taken="2024:05:02 09:30:00", offset="+09:00"), 10**6)
    assert other.taken_at.utcoffset() == timezone(timedelta(hours=9)).utcoffset(None)


def test_png_without_exif():
    """A PNG is accepted; no EXIF means no time and no position."""
    facts = inspect_photo(png(), 10**6)
    assert (facts.media_type, facts.taken_at, facts.lon) == ("image/png", None, None)
    assert facts.sha256 == hashlib.sha256(png()).hexdigest()


@pytest.mark.parametrize(("data", "error", "message"), [
    (b"GIF89a is text really", UnsupportedPhotoError, "not a JPEG, PNG or WebP"),
    (image_bytes("GIF"), UnsupportedPhotoError, "not a JPEG, PNG or WebP"),
    (image_bytes("BMP"), UnsupportedPhotoError, "not a JPEG, PNG or WebP"),
    (damaged_png(), InvalidVisitError, "damaged"),
    (jpeg()[:300], InvalidVisitError, "damaged"),
    (b"", InvalidVisitError, "empty"),
    (bomb_png(), PhotoTooLargeError, "too many pixels"),
    (bomb_png(10_000, 10_000), PhotoTooLargeError, "pixels"),
])
def test_bad_contents_are_refused(data, error, message):
    """Other formats, damaged images, empty files and decompression bombs."""
    with pytest.raises(error, match=message):
        inspect_photo(data, 10**6)


def test_size_limit():
    """Over the byte limit -> too large, before the bytes are parsed."""
    with pytest.raises(PhotoTooLargeError, match="limit is 100"):
        inspect_photo(jpeg(), 100)


@pytest.fixture
def visit(session):
    """A visit by an inspector that announced 2 photos."""
    vnpt = make_operator(session, "VNPT")
    segment = make_segment(session, vnpt)
    user, _ = make_user(session, "inspector", username="thanh.tra")
    principal = principal_of(user)
    outcome = record_visit(session, principal,
                           visit_input(session, segment_id=segment.id, photos_expected=2),
                           Settings())
    return outcome.inspection, principal


def test_store_is_content_addressed_and_idempotent(session, visit, tmp_path):
    """Stored at sha[:2]/sha.ext; same bytes again -> not created; other bytes -> conflict."""
    inspection, principal = visit
    settings = Settings(photo_dir=tmp_path)
    data = jpeg(taken="2024:05:02 09:31:00", lonlat=THAI_BINH)
    sha = hashlib.sha256(data).hexdigest()
    stored = store_photo(session, principal, inspection.id, 1, data, settings)
    assert stored.created
    assert stored.photo.storage_key == f"{sha[:2]}/{sha}.jpg"
    assert (tmp_path / sha[:2] / f"{sha}.jpg").read_bytes() == data
    assert [p.name for p in (tmp_path / sha[:2]).iterdir()] == [f"{sha}.jpg"]  # no temp left
    point = to_shape(stored.photo.position)
    assert (point.x, point.y) == (pytest.approx(THAI_BINH[0]), pytest.approx(THAI_BINH[1]))
    assert not store_photo(session, principal, inspection.id, 1, data, settings).created
    with pytest.raises(VisitConflictError, match="already holds another photo"):
        store_photo(session, principal, inspection.id, 1, png(), settings)
    photo, path = photo_file(session, inspection.id, 1, settings)
    assert photo.media_type == "image/jpeg" and path.read_bytes() == data


def test_slots_and_permissions(session, visit, tmp_path):
    """Slot 0 invalid, slot 3 absent, empty slot not found, other inspector forbidden."""
    inspection, principal = visit
    settings = Settings(photo_dir=tmp_path)
    with pytest.raises(InvalidVisitError, match="numbered from 1"):
        store_photo(session, principal, inspection.id, 0, png(), settings)
    with pytest.raises(ReferenceNotFoundError, match="announced 2 photo"):
        store_photo(session, principal, inspection.id, 3, png(), settings)
    with pytest.raises(NotFoundError, match="has not arrived yet"):
        photo_file(session, inspection.id, 2, settings)
    other, _ = make_user(session, "inspector", username="dong.nghiep")
    with pytest.raises(ForbiddenError):
        store_photo(session, principal_of(other), inspection.id, 2, png(), settings)
    admin, _ = make_user(session, "admin", username="quan.tri")
    assert store_photo(session, principal_of(admin), inspection.id, 2, png(), settings).created
