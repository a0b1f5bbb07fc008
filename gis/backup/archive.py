"""The tar itself: writing the dump, the photos and the manifest (last), and reading an
archive back with every member checked against the manifest before anything is restored."""

from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from gis.backup.manifest import (
    DUMP,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    PHOTOS,
    ArchiveError,
    BackupError,
    FileFacts,
    Manifest,
)
from gis.progress import ProgressFn, no_progress

CHUNK = 1 << 20


class _HashingReader:
    """File-like wrapper hashing what is read through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """Read like the wrapped file, hashing the bytes."""
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def sha256_file(path: Path) -> FileFacts:
    """Size and SHA-256 of the file at ``path``, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileFacts(size, digest.hexdigest())


def write_archive(part: Path, dump: Path, photo_dir: Path, files: list[str],
                   manifest: Manifest, progress: ProgressFn) -> dict[str, FileFacts]:
    """Write the tar at ``part``: the dump, the photos, then the manifest (with the photos'
    sizes and SHA-256 taken from the very bytes archived); fsync it."""
    photos: dict[str, FileFacts] = {}
    stage = "archiving photos"
    progress(stage, 0, len(files))
    with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(str(dump), arcname=DUMP, recursive=False, filter=_plain)
            for done, name in enumerate(files, start=1):
                path = photo_dir / name
                with path.open("rb") as handle:
                    info = _plain(tar.gettarinfo(arcname=PHOTOS + name, fileobj=handle))
                    reader = _HashingReader(handle)
                    tar.addfile(info, reader)
                if reader.size != info.size:
                    raise BackupError(f"{path} changed while it was archived")
                photos[name] = FileFacts(reader.size, reader.digest.hexdigest())
                progress(stage, done, len(files))
            body = Manifest(**{**manifest.__dict__, "photos": photos}).to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o644
            tar.addfile(info, _BytesReader(body))
        raw.flush()
        os.fsync(raw.fileno())
    return photos


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes."""
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at:end], min(end, len(self.data))
        return chunk


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Archive members carry no owner names or ids."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    info.mtime = int(info.mtime)
    return info


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort: not every file system can)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CheckedArchive:
    """An archive whose every member matched its manifest; ``dump`` is the extracted dump."""

    path: Path
    manifest: Manifest
    dump: Path


def _member_name(member: tarfile.TarInfo, seen: set[str]) -> str:
    name = member.name
    parts = PurePosixPath(name).parts
    if (not member.isfile() or name.startswith("/") or ".." in parts or "\\" in name
            or not parts or name != "/".join(parts)):
        raise ArchiveError(f"the archive member {name!r} is not a plain file with a safe path")
    if name in seen:
        raise ArchiveError(f"the archive holds {name!r} twice")
    if name not in (MANIFEST, DUMP) and not (name.startswith(PHOTOS) and len(parts) > 1):
        raise ArchiveError(f"the archive holds {name!r}, which no telecom-gis backup has")
    seen.add(name)
    return name


def copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo,
                into: IO[bytes] | None) -> FileFacts:
    """Read ``member`` (into ``into`` when given) and return its size and SHA-256."""
    source = tar.extractfile(member)
    assert source is not None
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if into is not None:
            into.write(chunk)
    if size != member.size:
        raise ArchiveError(f"{member.name} is cut short in the archive")
    return FileFacts(size, digest.hexdigest())


def check_archive(path: Path, staging: Path, progress: ProgressFn = no_progress
                  ) -> CheckedArchive:
    """Read the whole archive ``path``; check that it holds a manifest, the dump and exactly
    the photos the manifest lists, each with the manifest's size and SHA-256. The dump is
    extracted into ``staging``. :class:`ArchiveError` names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"{path} does not exist or is not a file")
    total = path.stat().st_size
    stage = "checking the archive (MiB)"
    total_mib = -(-total // 2**20)
    progress(stage, 0, total_mib)
    seen: set[str] = set()
    found: dict[str, FileFacts] = {}
    manifest_bytes: bytes | None = None
    dump = staging / DUMP
    try:
        with tarfile.open(path, mode="r:") as tar:
            for member in tar:
                name = _member_name(member, seen)
                if name == MANIFEST:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise ArchiveError(f"{MANIFEST} is implausibly large ({member.size:,} "
                                           "bytes)")
                    source = tar.extractfile(member)
                    assert source is not None
                    manifest_bytes = source.read()
                    if len(manifest_bytes) != member.size:
                        raise ArchiveError(f"{MANIFEST} is cut short in the archive")
                elif name == DUMP:
                    with dump.open("wb") as out:
                        found[name] = copy_member(tar, member, out)
                else:
                    found[name] = copy_member(tar, member, None)
                progress(stage, min(tar.offset, total) >> 20, total_mib)
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"{path} is not a complete telecom-gis backup: it is damaged or "
                           f"truncated ({exc})") from exc
    if manifest_bytes is None:
        raise ArchiveError(f"{path} has no {MANIFEST}: the archive is truncated or was not "
                           "written by `telecom-gis db backup`")
    manifest = Manifest.from_json(manifest_bytes)
    _compare_members(manifest, found)
    progress(stage, total_mib, total_mib)
    return CheckedArchive(path, manifest, dump)


def _compare_members(manifest: Manifest, found: dict[str, FileFacts]) -> None:
    """Every file the manifest lists is in the archive with its size and SHA-256, and nothing
    else is."""
    expected = {DUMP: manifest.dump, **{PHOTOS + k: v for k, v in manifest.photos.items()}}
    missing = sorted(set(expected) - set(found))
    if missing:
        raise ArchiveError(f"the archive lacks {len(missing):,} file(s) its manifest lists "
                           f"(first: {missing[0]}): it is truncated")
    extra = sorted(set(found) - set(expected))
    if extra:
        raise ArchiveError(f"the archive holds {len(extra):,} file(s) its manifest does not "
                           f"list (first: {extra[0]})")
    for name, facts in expected.items():
        if found[name] != facts:
            raise ArchiveError(f"{name} is damaged: its size or SHA-256 differs from the "
                               "manifest's")
