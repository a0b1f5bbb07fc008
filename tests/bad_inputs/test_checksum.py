"""The corpus's yardstick: :func:`database_checksum` changes with any row of any table, and only
then."""

from __future__ import annotations

from sqlalchemy import text

from tests.db_checksum import database_checksum


def test_checksum_is_stable_and_sees_every_kind_of_change(connection, engine):
    first = database_checksum(connection)
    assert database_checksum(connection) == first
    assert database_checksum(engine) == first  # nothing uncommitted yet
    connection.execute(text("INSERT INTO operators (code, name) VALUES ('CHK', 'checksum')"))
    added = database_checksum(connection)
    assert added != first
    assert database_checksum(engine) == first  # another connection sees the committed state
    connection.execute(text("UPDATE operators SET name = 'checksum 2' WHERE code = 'CHK'"))
    assert database_checksum(connection) not in (first, added)
    connection.execute(text("DELETE FROM operators WHERE code = 'CHK'"))
    connection.execute(text(
        "DELETE FROM audit_log WHERE coalesce(after, before) ->> 'code' = 'CHK'"))
    assert database_checksum(connection) == first
