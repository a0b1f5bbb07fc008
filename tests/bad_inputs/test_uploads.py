"""Photo uploads (``PUT /inspections/{id}/photos/{slot}``, multipart field ``file``): path
traversal and other hostile file names, declared media types that lie, content that is not a
photo (HTML, SVG with script, a decompression bomb, a truncated or empty file), broken
multipart bodies, slots out of range.

A refused upload answers a 4xx naming the field and leaves the database and the photo
directory exactly as they were. An accepted one (a good photo under a hostile name) is stored
inside the photo directory under its SHA-256, never under the client's name, and is served
with the media type of its content, never the one the client declared."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.bad_inputs.conftest import assert_problem
from tests.photo_samples import bomb_png, damaged_png, jpeg, png
from tests.visit_samples import body_for

HOSTILE_NAMES = {
    "parent directories": "../../../../etc/passwd",
    "absolute path": "/etc/passwd",
    "windows parents": "..\\..\\..\\windows\\system32\\evil.jpg",
    "NUL in the name": "photo.jpg\x00.html",
    "10 KB name": "a" * 10_000 + ".jpg",
    "dot files": "../.ssh/authorized_keys",
    "URL-encoded parents": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "empty name": "",
    "HTML in the name": "<script>alert(1)</script>.jpg",
}

LYING_TYPES = ["text/html", "image/svg+xml", "application/x-sh", "../../evil", "",
               "image/png; charset=../../x; filename=evil.html"]


@pytest.fixture
def visit(client, session, world) -> int:
    """A visit by the world's inspector announcing 2 photos."""
    response = client.post("/inspections",
                           json=body_for(session, segment_id=world.seg_a.id, photos=2),
                           headers={**world.auth("inspector"),
                                    "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _put(client, world, visit, data, filename="photo.jpg", content_type="image/jpeg", slot=1):
    return client.put(f"/inspections/{visit}/photos/{slot}", headers=world.auth("inspector"),
                      files={"file": (filename, data, content_type)})


def _stored(settings) -> list[str]:
    return sorted(p.relative_to(settings.photo_dir).as_posix()
                  for p in settings.photo_dir.rglob("*") if p.is_file()) \
        if settings.photo_dir.exists() else []


@pytest.mark.parametrize("case", list(HOSTILE_NAMES))
def test_hostile_file_name_never_reaches_the_disk(client, world, visit, settings, tmp_path,
                                                  case):
    data = jpeg(colour=(10, 20, 30))
    sha = hashlib.sha256(data).hexdigest()
    response = _put(client, world, visit, data, filename=HOSTILE_NAMES[case])
    if response.status_code >= 400:
        assert_problem(response)
        assert _stored(settings) == []
        return
    assert response.status_code == 201, response.text
    assert _stored(settings) == [f"{sha[:2]}/{sha}.jpg"]
    served = client.get(f"/inspections/{visit}/photos/1", headers=world.auth("inspector"))
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"] == (
        f'inline; filename="inspection-{visit}-photo-1.jpg"')
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("declared", LYING_TYPES)
def test_declared_media_type_is_never_served(client, world, visit, settings, declared):
    data = png(colour=(200, 10, 10))
    response = _put(client, world, visit, data, filename="photo.html", content_type=declared)
    assert response.status_code == 201, response.text
    served = client.get(f"/inspections/{visit}/photos/1", headers=world.auth("inspector"))
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "evil" not in served.headers["content-disposition"]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.cookie)</script></svg>")

#: name -> (bytes, declared media type, expected status)
NOT_PHOTOS = {
    "HTML named .jpg": (b"<html><script>alert(1)</script></html>", "image/jpeg", 415),
    "SVG with script": (SVG, "image/svg+xml", 415),
    "SVG declared as PNG": (SVG, "image/png", 415),
    "shell script": (b"#!/bin/sh\nrm -rf /\n", "image/jpeg", 415),
    "empty file": (b"", "image/jpeg", (415, 422)),
    "JPEG cut after 300 bytes": (None, "image/jpeg", 422),
    "PNG with a broken CRC": (damaged_png(), "image/png", 422),
    "PNG bomb (100,000 x 100,000 pixels)": (bomb_png(), "image/png", (413, 422)),
    "JPEG header then random bytes": (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, "image/jpeg",
                                      (415, 422)),
    "zip named .jpg": (b"PK\x03\x04" + b"\x00" * 100, "image/jpeg", 415),
}


@pytest.mark.parametrize("case", list(NOT_PHOTOS))
def test_content_that_is_not_a_photo_is_refused(client, world, visit, settings, unchanged,
                                                case):
    data, declared, status = NOT_PHOTOS[case]
    if data is None:
        data = jpeg()[:300]
    with unchanged():
        response = _put(client, world, visit, data, content_type=declared)
        assert_problem(response, status)
    assert _stored(settings) == []


def _raw(client, world, visit, body: bytes, media: str, slot: int = 1):
    return client.put(f"/inspections/{visit}/photos/{slot}", content=body,
                      headers={**world.auth("inspector"), "Content-Type": media})


MULTIPART = {
    "no file field": (b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
                      "multipart/form-data; boundary=b", 422),
    "file sent as a text field": (b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
                                  b"not a file\r\n--b--\r\n", "multipart/form-data; boundary=b",
                                  (400, 415, 422)),
    "boundary never closed": (b'--b\r\nContent-Disposition: form-data; name="file"; '
                              b'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8',
                              "multipart/form-data; boundary=b", (400, 422)),
    "no boundary": (b"\xff\xd8\xff", "multipart/form-data", (400, 422)),
    "wrong boundary": (b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--x--\r\n',
                       "multipart/form-data; boundary=b", (400, 422)),
    "raw JPEG body": (None, "image/jpeg", 415),
    "JSON body": (b'{"file": "/etc/passwd"}', "application/json", (400, 415, 422)),
    "10,000 parts": (b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n'
                              % i for i in range(10_000)) + b"--b--\r\n",
                     "multipart/form-data; boundary=b", (400, 413, 422)),
}


@pytest.mark.parametrize("case", list(MULTIPART))
def test_broken_multipart_is_refused(client, world, visit, settings, unchanged, case):
    body, media, status = MULTIPART[case]
    with unchanged():
        response = _raw(client, world, visit, jpeg() if body is None else body, media)
        assert_problem(response, status)
    assert _stored(settings) == []


@pytest.mark.parametrize("slot", ["0", "3", "-1", "99999999999", "1.5", "..%2F..%2Fetc"])
def test_slot_out_of_range_is_refused(client, world, visit, settings, unchanged, slot):
    with unchanged():
        response = client.put(f"/inspections/{visit}/photos/{slot}",
                              headers=world.auth("inspector"),
                              files={"file": ("a.jpg", jpeg(), "image/jpeg")})
        assert_problem(response, (404, 422))
    assert _stored(settings) == []


def test_photo_over_the_limit_is_413(client, world, visit, settings, unchanged):
    """A body one byte over the photo limit (15 MiB by default) plus the multipart allowance:
    refused as it streams, nothing stored."""
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (settings.photo_max_bytes + 64 * 1024)
    with unchanged():
        response = _put(client, world, visit, data)
        assert_problem(response, 413)
    assert _stored(settings) == []
