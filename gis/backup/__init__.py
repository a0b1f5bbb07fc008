"""Backups: one archive file holding the database, every photo and a manifest; restored into
an empty database and checked, table by table and photo by photo, against that manifest.

The archive is an uncompressed tar (PAX format; the dump is already compressed, photos are
JPEG/PNG/WebP) holding, in this order:

``database.dump``
    ``pg_dump --format=custom`` of the whole database (schema, data, row-level-security
    policies, grants to ``telecom_gis_operator``, sequences), taken in one snapshot.
``photos/<path>``
    every file under the photo directory at its path there (``ab/ab12...ef.jpg``).
``manifest.json``
    written last, so an archive cut short has none: format version, ``created_at`` (UTC), the
    schema revision, PostgreSQL, PostGIS and extension versions, the database's own settings
    (its time zone), the roles the grants and policies name, the rows and a checksum of every
    table (counted in the dump's snapshot), and the size and SHA-256 of the dump and of every
    photo.

A backup is written in a hidden temporary directory beside the target and renamed into place
when complete: a failed or interrupted backup never leaves a partial file under the target's
name. The archive holds users and token hashes: it is created readable by its owner only.

A restore first reads the whole archive and checks every member against the manifest, then
checks the target (empty of tables, roles present, extensions available, schema revision known
to this code) and the photo directory (no different file where a photo goes); only then does
it write: the database with ``pg_restore --single-transaction`` (all or nothing; a database it
had to create is dropped again on failure), the database's settings, then the photos. Rows of
extension tables (PostGIS's ``spatial_ref_sys``) come from the target's own extension.

Passwords reach ``pg_dump``/``pg_restore`` through ``PGPASSWORD``, never their command line.
"""

from gis.backup.archive import CheckedArchive, check_archive
from gis.backup.facts import table_facts
from gis.backup.manifest import (
    DUMP,
    FORMAT_VERSION,
    MANIFEST,
    PHOTOS,
    ArchiveError,
    BackupError,
    FileFacts,
    Manifest,
    TableFacts,
    TargetError,
    ToolError,
)
from gis.backup.pgtools import find_tool
from gis.backup.restore import RestoreReport, TableCheck, restore_backup, summary_rows
from gis.backup.target import DEFAULT_TEMPLATE
from gis.backup.write import write_backup

__all__ = [
    "DEFAULT_TEMPLATE", "DUMP", "FORMAT_VERSION", "MANIFEST", "PHOTOS", "ArchiveError",
    "BackupError", "CheckedArchive", "FileFacts", "Manifest", "RestoreReport", "TableCheck",
    "TableFacts", "TargetError", "ToolError", "check_archive", "find_tool", "restore_backup",
    "summary_rows", "table_facts", "write_backup",
]
