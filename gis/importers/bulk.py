"""Bulk loading: build secondary indexes and check foreign keys once, after the rows are in.

Inserting a million rows one index entry and one foreign-key lookup at a time costs several
times more than the rows themselves (GiST insertions in random order, a per-row RI query for
each of the five foreign keys of ``cable_segments`` and the one of ``segment_states``). When an
import adds at least as many segments as the table holds (:func:`worth_it`), the writer runs the
insert inside :func:`indexes_rebuilt_after`: the secondary indexes, unique constraints and
foreign keys of the tables are dropped, then re-created from their own catalog definitions,
which builds each index in one sorted pass and validates each foreign key with one join, as
``pg_restore`` does. It all happens inside the import's transaction: other sessions never see
the tables without them, and a failure (a duplicate key, a missing referenced row) rolls the
whole import back. Triggers, checks, the primary key and foreign keys pointing *at* the tables
stay in place throughout.

The price is locking: dropping an index or a foreign key takes an ACCESS EXCLUSIVE lock on the
table (and on the referenced tables for a foreign key) until the import commits, so readers of
the network wait for a bulk load, which is why it is kept for loads that dominate the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.progress import ProgressFn

#: Tables an import inserts into in bulk, in the order their definitions are restored.
BULK_TABLES = ("cable_segments", "segment_states")

#: Fewest new segments for which a bulk load is used (below, per-row upkeep is cheap enough).
BULK_MIN_ROWS = 50_000

#: Memory for sorting while indexes are built (restored afterwards; a rollback undoes it too).
BUILD_MEMORY = "256MB"

# Indexes that back no constraint and that no constraint (of any table) relies on.
_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
 ORDER BY c.relname
"""

# Unique constraints no foreign key relies on, then this table's foreign keys.
_CONSTRAINTS = """
SELECT k.conname, pg_get_constraintdef(k.oid), k.contype
  FROM pg_constraint k
 WHERE k.conrelid = CAST(:table AS regclass)
   AND (k.contype = 'f'
        OR (k.contype = 'u' AND NOT EXISTS (
              SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)))
 ORDER BY k.contype DESC, k.conname
"""


@dataclass(frozen=True)
class _Definitions:
    table: str
    indexes: list[tuple[str, str]]  # name, CREATE INDEX ...
    constraints: list[tuple[str, str]]  # name, definition (unique first, then foreign keys)


def worth_it(session: Session, new_rows: int) -> bool:
    """Whether ``new_rows`` new segments are a bulk load: many, and no fewer than the table's."""
    if new_rows < BULK_MIN_ROWS:
        return False
    present = session.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM cable_segments LIMIT :n) s"), {"n": new_rows}
    ).scalar_one()
    return present < new_rows


@contextmanager
def indexes_rebuilt_after(session: Session, progress: ProgressFn) -> Iterator[None]:
    """Drop the bulk tables' secondary indexes and keys; re-create them when the block ends."""
    saved = [_definitions(session, table) for table in BULK_TABLES]
    for defs in reversed(saved):
        for name, _ in defs.constraints:
            session.execute(text(f'ALTER TABLE {defs.table} DROP CONSTRAINT "{name}"'))
        for name, _ in defs.indexes:
            session.execute(text(f'DROP INDEX "{name}"'))
    yield
    steps = sum(len(d.indexes) + len(d.constraints) for d in saved)
    done = 0
    progress("indexing", done, steps)
    previous = _set_local(session, "maintenance_work_mem", BUILD_MEMORY)
    for defs in saved:
        for _, ddl in defs.indexes:
            session.execute(text(ddl))
            done += 1
            progress("indexing", done, steps)
        for name, definition in defs.constraints:
            session.execute(text(f'ALTER TABLE {defs.table} ADD CONSTRAINT "{name}" {definition}'))
            done += 1
            progress("indexing", done, steps)
    _set_local(session, "maintenance_work_mem", previous)


def _set_local(session: Session, name: str, value: str) -> str:
    """Set ``name`` for the rest of the transaction; return its previous value."""
    return session.execute(
        text("SELECT current_setting(:name), set_config(:name, :value, true)"),
        {"name": name, "value": value},
    ).first()[0]


def _definitions(session: Session, table: str) -> _Definitions:
    indexes = [tuple(r) for r in session.execute(text(_INDEXES), {"table": table})]
    constraints = [
        (name, definition)
        for name, definition, _ in session.execute(text(_CONSTRAINTS), {"table": table})
    ]
    return _Definitions(table, indexes, constraints)
