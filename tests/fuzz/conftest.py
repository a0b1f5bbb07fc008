"""Fixtures of the API fuzz run: the app, in process, on this module's copy of the demo province
(``live_database_url``), and a bearer token for one demo user of each role.

The fuzzer may revoke a token (``DELETE /tokens/{id}``: the ids are small integers, and ours are
among them) or change a user (``PATCH /users/{username}``: deactivate, change role). Nothing is
excluded for that: :meth:`Callers.restore` puts the demo users back as they were and issues fresh
tokens after every such write, so every example runs as the role it is meant to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.main import create_app
from gis.auth import issue_token
from gis.db import make_engine
from gis.settings import Settings
from tests.fuzz.answers import ANSWERS

#: The demo user the fuzzer acts as, by role (gis/sample/inspection_plan.py). ``vnpt.baocao``
#: belongs to VNPT: its requests run under row-level security.
USERS = {
    "admin": "quantri",
    "inspector": "thanhtra.an",
    "planner": "quyhoach.hoa",
    "operator": "vnpt.baocao",
}


def pytest_terminal_summary(terminalreporter) -> None:
    if ANSWERS.classes:
        terminalreporter.section("API fuzzing: answers by caller")
        for line in ANSWERS.summary():
            terminalreporter.write_line(line)


@dataclass
class Callers:
    """A valid bearer token for each role's demo user, restorable after the fuzzer's writes."""

    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    #: (username, role, operator_id, full_name) of each demo user as the demo loaded it.
    originals: list[tuple] = field(default_factory=list)

    def headers(self, role: str | None) -> dict[str, str]:
        """The Authorization header of ``role`` (none for ``None``: an anonymous caller)."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def restore(self) -> None:
        """Reactivate the demo users with their original role and operator; fresh tokens."""
        with Session(self.engine) as session, session.begin():
            for username, role, operator_id, full_name in self.originals:
                session.execute(text(
                    "UPDATE users SET active = true, role = :role, operator_id = :operator_id,"
                    " full_name = :full_name WHERE username = :username"
                    " AND (NOT active OR role <> :role OR operator_id IS DISTINCT FROM :operator_id"
                    " OR full_name <> :full_name)"),
                    {"username": username, "role": role, "operator_id": operator_id,
                     "full_name": full_name})
            for role, username in USERS.items():
                self.tokens[role], _ = issue_token(session, username, 1, label="fuzz")


@pytest.fixture(scope="module")
def fuzz_engine(live_database_url: str) -> Iterator[Engine]:
    """An engine on the fuzzed database, for the fixtures' own writes (commits for real)."""
    engine = make_engine(live_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def callers(fuzz_engine: Engine) -> Callers:
    """Tokens for the four roles' demo users."""
    with fuzz_engine.connect() as conn:
        originals = [tuple(row) for row in conn.execute(text(
            "SELECT username, role, operator_id, full_name FROM users"
            " WHERE username = ANY(:names)"), {"names": list(USERS.values())})]
    assert len(originals) == len(USERS), "the demo database lacks a fuzzed user"
    callers = Callers(fuzz_engine, originals=originals)
    callers.restore()
    return callers


@pytest.fixture(scope="module")
def fuzz_app(live_database_url: str, tmp_path_factory):
    """The app on the fuzzed database; photos go to a temporary directory. schemathesis runs
    its lifespan on the first request; it is shut down after the module so that the engine
    lets go of the database before it is dropped."""
    from schemathesis.python import asgi

    settings = Settings(database_url=live_database_url,
                        photo_dir=tmp_path_factory.mktemp("fuzz-photos"))
    yield create_app(settings)
    asgi.shutdown_lifespans()
