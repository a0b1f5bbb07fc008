"""PUT/GET /inspections/{id}/photos/{slot}: content checks, EXIF, idempotent re-upload,
stored media type, safe storage paths, roles and operator isolation."""

from __future__ import annotations

import hashlib
import io
import uuid
from types import SimpleNamespace

import pytest
from PIL import Image

from gis.settings import Settings
from tests.factories import bearer, make_operator, make_segment, make_user
from tests.photo_samples import THAI_BINH, jpeg, png
from tests.visit_samples import body_for

MAX_BYTES = 40_000


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """A small photo limit, so the 413 path is cheap to reach."""
    return Settings(database_url=database_url, photo_dir=tmp_path / "photos",
                    photo_max_bytes=MAX_BYTES)


@pytest.fixture
def w(session, client):
    """A visit announcing 2 photos by inspector thanh.tra on a VNPT segment."""
    vnpt = make_operator(session, "VNPT")
    viettel = make_operator(session, "VIETTEL")
    segment = make_segment(session, vnpt)
    _, inspector = make_user(session, "inspector", username="thanh.tra")
    _, other = make_user(session, "inspector", username="dong.nghiep")
    _, admin = make_user(session, "admin", username="quan.tri")
    _, op_vnpt = make_user(session, "operator", vnpt)
    _, op_viettel = make_user(session, "operator", viettel)
    response = client.post("/inspections", json=body_for(session, segment_id=segment.id,
                                                         photos=2),
                           headers={**bearer(inspector), "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return SimpleNamespace(visit=response.json()["id"], inspector=inspector, other=other,
                           admin=admin, op_vnpt=op_vnpt, op_viettel=op_viettel)


def put(client, token, visit, slot, data, filename="photo.jpg", content_type="image/jpeg"):
    """Upload ``data`` as multipart field ``file``."""
    return client.put(f"/inspections/{visit}/photos/{slot}", headers=bearer(token),
                      files={"file": (filename, data, content_type)})


def test_jpeg_with_exif_then_png_completes_the_visit(client, w, settings):
    """EXIF time and GPS are read; the visit is complete once both slots have arrived."""
    data = jpeg(taken="2024:05:02 09:31:00", offset="+07:00", lonlat=THAI_BINH)
    response = put(client, w.inspector, w.visit, 1, data)
    assert response.status_code == 201, response.text
    body = response.json()
    sha = hashlib.sha256(data).hexdigest()
    assert body["created"] is True and body["complete"] is False
    slot = body["slot"]
    assert (slot["state"], slot["sha256"], slot["media_type"], slot["size_bytes"]) == (
        "received", sha, "image/jpeg", len(data))
    assert (slot["width"], slot["height"]) == (64, 48)
    assert slot["taken_at"] == "2024-05-02T02:31:00Z"
    lon, lat = slot["position"]["coordinates"]
    assert (lon, lat) == (pytest.approx(THAI_BINH[0]), pytest.approx(THAI_BINH[1]))
    second = put(client, w.inspector, w.visit, 2, png(), filename="p.png",
                 content_type="image/png")
    assert second.status_code == 201 and second.json()["complete"] is True
    visit = client.get(f"/inspections/{w.visit}", headers=bearer(w.inspector)).json()
    assert visit["complete"] is True
    assert [p["state"] for p in visit["photos"]] == ["received", "received"]
    assert visit["photos"][1]["media_type"] == "image/png"


def test_get_returns_stored_type_and_safe_headers(client, w):
    """The stored media type wins over what the client declared; nosniff; inline name."""
    data = png()
    assert put(client, w.inspector, w.visit, 1, data, filename="evil.html",
               content_type="text/html").status_code == 201
    response = client.get(f"/inspections/{w.visit}/photos/1", headers=bearer(w.inspector))
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        f'inline; filename="inspection-{w.visit}-photo-1.png"')
    missing = client.get(f"/inspections/{w.visit}/photos/2", headers=bearer(w.inspector))
    assert missing.status_code == 404 and "not arrived" in missing.json()["detail"]


def test_reupload_same_bytes_is_200_other_bytes_409(client, w):
    """Retries are idempotent; a filled slot never changes."""
    data = jpeg()
    assert put(client, w.inspector, w.visit, 1, data).status_code == 201
    again = put(client, w.inspector, w.visit, 1, data)
    assert again.status_code == 200 and again.json()["created"] is False
    other = put(client, w.inspector, w.visit, 1, jpeg(colour=(0, 90, 200)))
    assert other.status_code == 409
    assert other.json()["errors"][0]["field"] == "body.file"


def test_content_not_extension_decides(client, w, settings):
    """Text named .jpg -> 415; a GIF -> 415; damaged image -> 422; over the limit -> 413."""
    text = put(client, w.inspector, w.visit, 1, b"just some text, not a photo")
    assert text.status_code == 415
    assert text.json()["type"].endswith("/unsupported-media-type")
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    assert put(client, w.inspector, w.visit, 1, gif.getvalue(),
               filename="x.png", content_type="image/png").status_code == 415
    damaged = put(client, w.inspector, w.visit, 1, jpeg()[:300])
    assert damaged.status_code == 422 and "body.file" in {
        e["field"] for e in damaged.json()["errors"]}
    noise = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(noise, "PNG")
    assert len(noise.getvalue()) > MAX_BYTES
    big = put(client, w.inspector, w.visit, 1, noise.getvalue(), filename="big.png")
    assert big.status_code == 413
    visit = client.get(f"/inspections/{w.visit}", headers=bearer(w.inspector)).json()
    assert [p["state"] for p in visit["photos"]] == ["missing", "missing"]


def test_storage_ignores_the_client_file_name(client, w, settings):
    """A path-traversal-looking name is never used: the file lands at sha[:2]/sha.ext."""
    data = jpeg(colour=(1, 2, 3))
    response = put(client, w.inspector, w.visit, 1, data, filename="../../../../tmp/evil.jpg")
    assert response.status_code == 201
    sha = hashlib.sha256(data).hexdigest()
    stored = sorted(p.relative_to(settings.photo_dir).as_posix()
                    for p in settings.photo_dir.rglob("*") if p.is_file())
    assert stored == [f"{sha[:2]}/{sha}.jpg"]
    assert not (settings.photo_dir.parent / "evil.jpg").exists()


def test_slots_roles_and_isolation(client, w):
    """Bad slots; only the visit's inspector or an admin uploads; operators read their own."""
    assert put(client, w.inspector, w.visit, 3, png()).status_code == 404
    zero = put(client, w.inspector, w.visit, 0, png())
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "path.slot"
    assert put(client, w.inspector, 987_654, 1, png()).status_code == 404
    no_file = client.put(f"/inspections/{w.visit}/photos/1", headers=bearer(w.inspector),
                         files={"other": ("a.png", png(), "image/png")})
    assert no_file.status_code == 422
    assert "body.file" in {e["field"] for e in no_file.json()["errors"]}
    assert put(client, w.other, w.visit, 1, png()).status_code == 403
    assert put(client, w.op_vnpt, w.visit, 1, png()).status_code == 403
    assert client.put(f"/inspections/{w.visit}/photos/1",
                      files={"file": ("a.png", png(), "image/png")}).status_code == 401
    assert put(client, w.admin, w.visit, 1, png()).status_code == 201
    own = client.get(f"/inspections/{w.visit}/photos/1", headers=bearer(w.op_vnpt))
    assert own.status_code == 200 and own.content == png()
    hidden = client.get(f"/inspections/{w.visit}/photos/1", headers=bearer(w.op_viettel))
    assert hidden.status_code == 404
