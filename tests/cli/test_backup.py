"""`telecom-gis db backup` / `db restore` through the real command line, pg_dump and pg_restore:
the demo province plus visits with photos goes into one archive and comes back, row for row
and byte for byte, into a database that did not exist; damaged archives, a database that is
not empty and a different photo in the way are refused, leaving the target as it was."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.main import create_app
from gis.auth import issue_token
from gis.backup import DUMP, MANIFEST, PHOTOS
from gis.cli import app
from gis.compliance.photos import store_photo
from gis.compliance.visits import record_visit
from gis.db import make_engine
from gis.migrate import head_revision
from gis.models import User
from gis.settings import Settings, get_settings
from tests.conftest import TEMPLATE
from tests.factories import bearer
from tests.photo_samples import THAI_BINH, jpeg, png
from tests.visit_samples import principal_of, visit_input

runner = CliRunner()

#: The text form of rows depends on these session settings: both sides render alike.
RENDERING = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1"


@dataclass(frozen=True)
class Source:
    """The database and photo directory that get backed up, and what the tests need of them."""

    url: str
    photo_dir: Path
    visit_id: int
    photos: dict[int, bytes]
    own_segment: int
    other_segment: int
    admin_token: str
    operator_token: str


def _admin(url: str) -> Engine:
    return make_engine(make_url(url).set(database="postgres").render_as_string(False),
                       isolation_level="AUTOCOMMIT")


def _exists(url: str) -> bool:
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": make_url(url).database}).first() is not None
    finally:
        admin.dispose()


def _drop(url: str) -> None:
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _new_url(base: str, prefix: str) -> str:
    return make_url(base).set(database=f"{prefix}_{uuid.uuid4().hex[:10]}").render_as_string(
        False)


def _visible_segment(session: Session, operator: str) -> int:
    """An active overhead segment of ``operator`` with no state change since 2023."""
    return session.execute(text(
        "SELECT s.id FROM cable_segments s JOIN operators o ON o.id = s.operator_id"
        " WHERE o.code = :op AND s.placement = 'overhead' AND s.lifecycle = 'active'"
        "   AND NOT EXISTS (SELECT 1 FROM segment_states h WHERE h.segment_id = s.id"
        "                    AND h.effective_date > '2023-01-01')"
        " ORDER BY s.id LIMIT 1"), {"op": operator}).scalar_one()


@pytest.fixture(scope="module")
def source(live_database_url, tmp_path_factory) -> Source:
    """The demo province (committed) plus two visits whose three photo slots hold two
    distinct photos, stored as the app stores them (the same PNG twice: one file), and
    tokens for an admin and an operator user."""
    photo_dir = tmp_path_factory.mktemp("source-photos")
    settings = Settings(database_url=live_database_url, photo_dir=photo_dir)
    engine = make_engine(live_database_url)
    photos = {1: jpeg(taken="2024:05:02 09:31:00", offset="+07:00", lonlat=THAI_BINH),
              2: png(colour=(10, 120, 200))}
    try:
        with engine.connect() as conn, conn.begin():
            # As migration 0003 left it (a copy made with CREATE DATABASE ... TEMPLATE does
            # not inherit the settings of its template).
            conn.execute(text(f'ALTER DATABASE "{make_url(live_database_url).database}"'
                              " SET timezone TO 'Asia/Ho_Chi_Minh'"))
        with Session(engine) as session, session.begin():
            inspector = session.scalar(select(User).where(User.username == "thanhtra.an"))
            principal = principal_of(inspector)
            own, other = _visible_segment(session, "VNPT"), _visible_segment(session, "VIETTEL")
            first = record_visit(session, principal, visit_input(
                session, segment_id=own, photos_expected=2), settings).inspection
            second = record_visit(session, principal, visit_input(
                session, segment_id=own, photos_expected=1), settings).inspection
            for slot, data in photos.items():
                store_photo(session, principal, first.id, slot, data, settings)
            store_photo(session, principal, second.id, 1, photos[2], settings)
            admin_token, _ = issue_token(session, "quantri", 1, label="backup test")
            operator_token, _ = issue_token(session, "vnpt.baocao", 1, label="backup test")
            visit_id = first.id
    finally:
        engine.dispose()
    return Source(live_database_url, photo_dir, visit_id, photos, own, other, admin_token,
                  operator_token)



def _cli(args: list[str], url: str, photo_dir: Path):
    """Run ``telecom-gis ARGS`` against database ``url`` and ``photo_dir``."""
    env = {"TELECOM_GIS_DATABASE_URL": url, "TELECOM_GIS_PHOTO_DIR": str(photo_dir)}
    get_settings.cache_clear()
    try:
        return runner.invoke(app, args, env=env)
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    """``db backup`` of the source into a fresh directory."""
    path = tmp_path_factory.mktemp("backups") / "telecom-gis.tar"
    result = _cli(["db", "backup", "--quiet", str(path)], source.url, source.photo_dir)
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output and "2 photo files" in result.output
    return path


@dataclass(frozen=True)
class Restored:
    """Where ``db restore`` put the archive, and what it printed."""

    url: str
    photo_dir: Path
    output: str


@pytest.fixture(scope="module")
def restored(source, archive, tmp_path_factory) -> Iterator[Restored]:
    """``db restore`` of the archive into a database that does not exist yet (created from
    the template) and an empty photo directory; the database is dropped afterwards."""
    url = _new_url(source.url, "telecom_gis_restored")
    photo_dir = tmp_path_factory.mktemp("restored-root") / "photos"
    try:
        result = _cli(["db", "restore", "--quiet", "--template", TEMPLATE, str(archive)],
                      url, photo_dir)
        assert result.exit_code == 0, result.output
        yield Restored(url, photo_dir, result.output)
    finally:
        _drop(url)


def _database_image(url: str) -> dict[str, object]:
    """Everything a restore must reproduce, read from the catalogue and the tables: every
    table's rows (md5 of their sorted text forms), sequences, policies, grants, triggers,
    functions, and the database's own time zone."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            zone = conn.execute(text("SHOW TimeZone")).scalar_one()
            conn.exec_driver_sql(RENDERING)
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).scalars().all()
            rows = {t: tuple(conn.execute(text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
                f" '')) FROM public.\"{t}\" t")).one()) for t in tables}
            sequences = {name: tuple(conn.execute(text(
                f'SELECT last_value, is_called FROM public."{name}"')).one())
                for name in conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                    " ORDER BY 1")).scalars()}
            catalogue = {
                "policies": "SELECT tablename, policyname, roles::text, cmd, qual, with_check"
                            " FROM pg_policies ORDER BY 1, 2",
                "rls": "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                       " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                       " ORDER BY 1",
                "table_grants": "SELECT table_name, grantee, privilege_type"
                                " FROM information_schema.role_table_grants"
                                " WHERE grantee = 'telecom_gis_operator' ORDER BY 1, 2, 3",
                "column_grants": "SELECT table_name, column_name, grantee, privilege_type"
                                 " FROM information_schema.column_privileges"
                                 " WHERE grantee = 'telecom_gis_operator' ORDER BY 1, 2, 3, 4",
                "function_grants": "SELECT p.proname, p.proacl::text FROM pg_proc p"
                                   " WHERE p.pronamespace = 'public'::regnamespace"
                                   " AND p.proacl IS NOT NULL AND p.proname NOT LIKE 'st\\_%'"
                                   " ORDER BY 1",
                "schema_grants": "SELECT has_schema_privilege('telecom_gis_operator', 'public',"
                                 " 'USAGE')",
                "triggers": "SELECT event_object_table, trigger_name, event_manipulation,"
                            " action_statement FROM information_schema.triggers ORDER BY 1, 2, 3",
                "functions": "SELECT p.proname, md5(pg_get_functiondef(p.oid)), p.prosecdef"
                             " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                             " WHERE n.nspname = 'public' AND p.prokind = 'f'"
                             " AND p.proname LIKE 'telecom\\_gis\\_%' ORDER BY 1, 2",
                # Not their text: PostgreSQL re-words some IN (...) lists it reads back.
                "constraints": "SELECT conrelid::regclass::text, conname, contype"
                               " FROM pg_constraint"
                               " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
                "indexes": "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,"
                           " i.indisunique, i.indkey::text, i.indpred IS NOT NULL"
                           " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                           " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 2",
            }
            image: dict[str, object] = {
                key: [tuple(r) for r in conn.execute(text(sql))]
                for key, sql in catalogue.items()}
    finally:
        engine.dispose()
    image.update(time_zone=zone, rows=rows, sequences=sequences)
    return image


def _files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its bytes."""
    if not directory.exists():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_archive_holds_the_dump_every_photo_and_a_manifest_last(source, archive):
    """One tar, owner-only: the dump, each photo file once at its store path, then the
    manifest with rows and a checksum per table and the SHA-256 of every file; no temporary
    file is left beside it."""
    import json

    assert [p.name for p in archive.parent.iterdir()] == [archive.name]
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        members = {n: tar.extractfile(n).read() for n in names if n != MANIFEST}
    stored = _files(source.photo_dir)
    assert names[0] == DUMP and names[-1] == MANIFEST
    assert sorted(names[1:-1]) == sorted(PHOTOS + name for name in stored)
    assert {n[len(PHOTOS):]: data for n, data in members.items() if n != DUMP} == stored
    assert manifest["format_version"] == 1 and manifest["created_at"].endswith("Z")
    engine = make_engine(source.url)
    try:
        assert manifest["schema_revision"] == head_revision(engine)
        with engine.connect() as conn:
            for table in ("cable_segments", "photos", "inspections", "audit_log", "api_tokens"):
                count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                assert manifest["tables"][table]["rows"] == count, table
    finally:
        engine.dispose()
    assert manifest["tables"]["photos"]["rows"] == 3
    assert "spatial_ref_sys" not in manifest["tables"]
    assert manifest["settings"] == ["TimeZone=Asia/Ho_Chi_Minh"]
    assert manifest["roles"] == {"telecom_gis_operator": True}
    assert set(manifest["extensions"]) == {"postgis", "btree_gist"}
    assert manifest["dump"] == {"size": len(members[DUMP]),
                                "sha256": hashlib.sha256(members[DUMP]).hexdigest()}
    assert manifest["photos"] == {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in stored.items()}
    assert manifest["photos_missing"] == []


def test_restore_reproduces_every_row_grant_policy_and_photo(source, restored):
    """The database that did not exist is created and holds exactly the source's rows,
    sequences, row-level-security policies, grants, triggers, functions and time zone; the
    photo directory is byte for byte the source's."""
    assert "(created)" in restored.output
    assert "all match the manifest" in restored.output
    assert "2 written, 0 already there" in restored.output
    before, after = _database_image(source.url), _database_image(restored.url)
    assert after["rows"]["photos"][0] == 3 and after["rows"]["cable_segments"][0] > 1000
    for key in before:
        assert after[key] == before[key], key
    assert after["time_zone"] == "Asia/Ho_Chi_Minh"
    assert _files(restored.photo_dir) == _files(source.photo_dir)


def test_restored_database_is_current_and_serves_the_api(source, restored):
    """`db status` is satisfied; the tokens issued before the backup still sign in; the admin
    downloads the photos; the operator user (row-level security, as telecom_gis_operator)
    sees its own segment and not another operator's."""
    status = _cli(["db", "status"], restored.url, restored.photo_dir)
    assert status.exit_code == 0, status.output
    assert "up to date" in status.output
    settings = Settings(database_url=restored.url, photo_dir=restored.photo_dir)
    with TestClient(create_app(settings)) as client:
        for slot, data in source.photos.items():
            answer = client.get(f"/inspections/{source.visit_id}/photos/{slot}",
                                headers=bearer(source.admin_token))
            assert answer.status_code == 200 and answer.content == data
        operator = bearer(source.operator_token)
        assert client.get(f"/segments/{source.own_segment}", headers=operator).status_code == 200
        assert client.get(f"/segments/{source.other_segment}",
                          headers=operator).status_code == 404


@pytest.fixture
def empty_target(source, tmp_path) -> Iterator[Restored]:
    """An existing database made from the template (no tables of ours) and a photo directory
    holding one unrelated file; dropped afterwards."""
    url = _new_url(source.url, "telecom_gis_empty")
    admin = _admin(source.url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}" TEMPLATE {TEMPLATE}'))
        photo_dir = tmp_path / "photos"
        (photo_dir / "zz").mkdir(parents=True)
        (photo_dir / "zz" / "kept.txt").write_text("not a photo of the backup")
        yield Restored(url, photo_dir, "")
    finally:
        admin.dispose()
        _drop(url)


def _cut_before_manifest(archive: Path, out: Path) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(MANIFEST).offset
    out.write_bytes(archive.read_bytes()[:offset])


def _flip_photo_byte(archive: Path, out: Path) -> None:
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith(PHOTOS))
    data = bytearray(archive.read_bytes())
    data[member.offset_data + member.size // 2] ^= 0xFF
    out.write_bytes(bytes(data))


def _without_manifest(archive: Path, out: Path) -> None:
    with tarfile.open(archive) as tar, tarfile.open(out, "w") as copy:
        for member in tar.getmembers():
            if member.name != MANIFEST:
                copy.addfile(member, tar.extractfile(member))


def _bad_manifest(archive: Path, out: Path) -> None:
    with tarfile.open(archive) as tar, tarfile.open(out, "w") as copy:
        for member in tar.getmembers():
            body = tar.extractfile(member).read()
            if member.name == MANIFEST:
                body = body.replace(b'"format_version": 1', b'"format_version": 9')
                member.size = len(body)
            copy.addfile(member, io.BytesIO(body))


DAMAGES = {
    "cut in the dump": (lambda a, o: o.write_bytes(a.read_bytes()[:a.stat().st_size // 3]),
                        "damaged or truncated"),
    "cut before the manifest": (_cut_before_manifest, "has no manifest.json"),
    "a photo's byte flipped": (_flip_photo_byte, "is damaged: its size or SHA-256 differs"),
    "no manifest": (_without_manifest, "has no manifest.json"),
    "a manifest of another version": (_bad_manifest, "format_version 9 is not supported"),
    "not an archive": (lambda a, o: o.write_bytes(b"PGDMP" + os.urandom(4000)),
                       "damaged or truncated"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_archive_is_refused_and_nothing_is_written(archive, empty_target, tmp_path,
                                                            damage):
    """Each damage is named (exit 2); the database keeps exactly its tables and rows, the
    photo directory its files."""
    make, message = DAMAGES[damage]
    bad = tmp_path / "bad.tar"
    make(archive, bad)
    before = (_database_image(empty_target.url), _files(empty_target.photo_dir))
    result = _cli(["db", "restore", "-q", str(bad)], empty_target.url, empty_target.photo_dir)
    assert result.exit_code == 2, result.output
    assert message in result.output and "nothing was restored" in result.output
    assert "Traceback" not in result.output
    assert (_database_image(empty_target.url), _files(empty_target.photo_dir)) == before


def test_database_with_tables_is_refused_untouched(source, archive, tmp_path):
    """Restoring over a database that holds our tables (the source itself) is refused before
    anything is written: same rows, same photo directory."""
    photo_dir = tmp_path / "photos"
    before = _database_image(source.url), _files(source.photo_dir)
    result = _cli(["db", "restore", "-q", str(archive)], source.url, photo_dir)
    assert result.exit_code == 2, result.output
    assert "already holds" in result.output and "only into an empty database" in result.output
    assert (_database_image(source.url), _files(source.photo_dir)) == before
    assert not photo_dir.exists()


def test_a_different_photo_in_place_is_refused_before_the_database_is_made(source, archive,
                                                                           tmp_path):
    """Photos are never replaced: a different file where one goes stops the restore before
    the missing database is created."""
    url = _new_url(source.url, "telecom_gis_clash")
    name = next(iter(_files(source.photo_dir)))
    photo_dir = tmp_path / "photos"
    (photo_dir / name).parent.mkdir(parents=True)
    (photo_dir / name).write_bytes(b"another photo")
    try:
        result = _cli(["db", "restore", "-q", str(archive)], url, photo_dir)
        assert result.exit_code == 2, result.output
        assert "different file(s) where the backup's photos go" in result.output
        assert not _exists(url)
        assert _files(photo_dir) == {name: b"another photo"}
    finally:
        _drop(url)


def test_backup_failures_leave_no_file(source, archive, tmp_path):
    """An existing FILE is kept (exit 2, unless --force); a missing or failing pg_dump (exit
    1) or database (exit 3) is named; none leaves a file or a temporary one behind."""
    existing = tmp_path / "old.tar"
    existing.write_bytes(b"an older backup")
    kept = _cli(["db", "backup", "-q", str(existing)], source.url, source.photo_dir)
    assert kept.exit_code == 2 and "already exists" in kept.output
    assert existing.read_bytes() == b"an older backup"

    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    no_tool = _cli(["db", "backup", "-q", "--pg-bin", str(empty_bin), str(tmp_path / "a.tar")],
                   source.url, source.photo_dir)
    assert no_tool.exit_code == 1 and f"pg_dump is not in {empty_bin}" in no_tool.output

    failing_bin = tmp_path / "failing-bin"
    failing_bin.mkdir()
    (failing_bin / "pg_dump").write_text(
        '#!/bin/sh\n[ "$1" = --version ] && { echo "pg_dump (PostgreSQL) 99.0"; exit 0; }\n'
        'echo "half a dump" > "$(echo "$@" | sed -n "s/.*--file=\\([^ ]*\\).*/\\1/p")"\n'
        'echo "pg_dump: error: query failed: ERROR:  permission denied for table x" >&2\n'
        'exit 1\n')
    (failing_bin / "pg_dump").chmod(0o755)
    failed = _cli(["db", "backup", "-q", "--pg-bin", str(failing_bin), str(tmp_path / "c.tar")],
                  source.url, source.photo_dir)
    assert failed.exit_code == 1, failed.output
    assert "pg_dump failed (exit 1): pg_dump: error: query failed" in failed.output

    gone = make_url(source.url).set(database="telecom_gis_no_such_db").render_as_string(False)
    no_db = _cli(["db", "backup", "-q", str(tmp_path / "b.tar")], gone, source.photo_dir)
    assert no_db.exit_code == 3 and "telecom_gis_no_such_db" in no_db.output
    assert "telecom_gis:" not in no_db.output.replace("telecom_gis:***", "")  # no password

    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "failing-bin", "old.tar"]
    replaced = _cli(["db", "backup", "-q", "--force", str(existing)], source.url,
                    source.photo_dir)
    assert replaced.exit_code == 0, replaced.output
    with tarfile.open(existing) as tar:
        assert tar.getnames()[0] == DUMP and tar.getnames()[-1] == MANIFEST


def test_restore_into_an_existing_empty_database_keeps_identical_photos(source, archive,
                                                                        empty_target):
    """An existing database without our tables is restored into; a photo already in place
    with the same bytes is kept, the photo directory's other files too."""
    stored = _files(source.photo_dir)
    name = sorted(stored)[0]
    (empty_target.photo_dir / name).parent.mkdir(parents=True)
    (empty_target.photo_dir / name).write_bytes(stored[name])
    result = _cli(["db", "restore", "-q", str(archive)], empty_target.url,
                  empty_target.photo_dir)
    assert result.exit_code == 0, result.output
    assert "(created)" not in result.output and "1 written, 1 already there" in result.output
    assert _files(empty_target.photo_dir) == {**stored, "zz/kept.txt": b"not a photo of the backup"}
    assert _database_image(empty_target.url)["rows"] == _database_image(source.url)["rows"]


def test_database_without_postgis_is_refused_with_the_command_to_run(source, archive, tmp_path):
    """PostGIS is not a trusted extension: a database lacking it is refused, naming the
    superuser's command, and stays empty."""
    url = _new_url(source.url, "telecom_gis_bare")
    admin = _admin(source.url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}" TEMPLATE template0'))
        result = _cli(["db", "restore", "-q", str(archive)], url, tmp_path / "photos")
        assert result.exit_code == 2, result.output
        assert "lacks the extension(s) postgis" in result.output
        assert "CREATE EXTENSION IF NOT EXISTS postgis;" in result.output
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text(
                    "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
                ).scalar_one() == 0
        finally:
            engine.dispose()
        assert not (tmp_path / "photos").exists()
    finally:
        admin.dispose()
        _drop(url)


def test_a_photo_directory_that_cannot_be_written_is_refused_before_anything(source, archive,
                                                                             tmp_path):
    """Photos go last: a photo directory that cannot be made (under a file) stops the restore
    before the missing database is created, instead of leaving it restored without photos."""
    url = _new_url(source.url, "telecom_gis_unwritable")
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a directory")
    try:
        result = _cli(["db", "restore", "-q", str(archive)], url, blocker / "photos")
        assert result.exit_code == 2, result.output
        assert "cannot be written" in result.output
        assert not _exists(url)
    finally:
        _drop(url)
