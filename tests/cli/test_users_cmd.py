"""`telecom-gis users ...` through the real command line. The CLI commits, so every test uses
unique names and deletes what it made (users, their tokens, its operator, their audit rows)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gis.auth import hash_token
from gis.cli import app
from gis.cli.common import actor
from gis.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, database_url):
    """Point the CLI at the throwaway test database."""
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def names(engine, cli_env):
    """A unique operator code (committed) and username prefix; all removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    code = f"T{suffix.upper()}"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO operators (code, name) VALUES (:c, 'Test operator')"),
                     {"c": code})
    yield {"operator": code, "user": f"u{suffix}"}
    with engine.begin() as conn:
        users = conn.execute(text("SELECT id::text FROM users WHERE username LIKE :p"),
                             {"p": f"u{suffix}%"}).scalars().all()
        tokens = conn.execute(text(
            "SELECT t.id::text FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.username LIKE :p"), {"p": f"u{suffix}%"}).scalars().all()
        operator = conn.execute(text("SELECT id::text FROM operators WHERE code = :c"),
                                {"c": code}).scalar()
        conn.execute(text("DELETE FROM users WHERE username LIKE :p"), {"p": f"u{suffix}%"})
        conn.execute(text("DELETE FROM operators WHERE code = :c"), {"c": code})
        for table, keys in (("users", users), ("api_tokens", tokens),
                            ("operators", [operator])):
            conn.execute(text("DELETE FROM audit_log WHERE table_name = :t"
                              " AND row_key = ANY(:k)"), {"t": table, "k": keys})


def _invoke(*args: str):
    return runner.invoke(app, ["users", *args])


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def test_add_token_list_revoke_deactivate(engine, names):
    """The whole life of a user from the command line, each step committed and audited."""
    user, code = names["user"], names["operator"]
    result = _invoke("add", user, "--role", "operator", "--name", "Nguyễn Văn An",
                     "--operator", code.lower())
    assert result.exit_code == 0, result.output
    assert f"created user {user} (operator: Operator, operator {code})" in result.output
    row = _one(engine, "SELECT u.id, o.code, u.full_name FROM users u"
                       " JOIN operators o ON o.id = u.operator_id WHERE username = :u", u=user)
    assert row[1:] == (code, "Nguyễn Văn An")
    audit = _one(engine, "SELECT actor FROM audit_log WHERE table_name = 'users'"
                         " AND row_key = :k AND action = 'INSERT'", k=str(row[0]))
    assert audit == (actor(),)

    result = _invoke("token", user, "--days", "7", "--label", "tablet 3")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()  # only the token goes to stdout, ready to copy or redirect
    assert token.startswith("tg_") and "\n" not in token
    assert "not shown again" in result.output
    token_id, label, days = _one(
        engine, "SELECT id, label, round(extract(epoch FROM expires_at - created_at) / 86400)"
                " FROM api_tokens WHERE token_sha256 = :h", h=hash_token(token))
    assert (label, days) == ("tablet 3", 7)

    result = _invoke("list")
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if user in ln)
    assert code in line and "yes" in line and line.rstrip(" │").endswith("1")

    result = _invoke("revoke", str(token_id))
    assert result.exit_code == 0 and f"token {token_id} revoked" in result.output
    assert _one(engine, "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = :i",
                i=token_id) == (True,)

    result = _invoke("deactivate", user)
    assert result.exit_code == 0 and "deactivated" in result.output
    assert _one(engine, "SELECT active FROM users WHERE username = :u", u=user) == (False,)
    assert _invoke("activate", user).exit_code == 0
    assert _one(engine, "SELECT active FROM users WHERE username = :u", u=user) == (True,)


def test_token_days_default_from_settings(engine, names, monkeypatch):
    """Without --days the token lasts TELECOM_GIS_TOKEN_DAYS days."""
    monkeypatch.setenv("TELECOM_GIS_TOKEN_DAYS", "11")
    get_settings.cache_clear()
    assert _invoke("add", names["user"], "--role", "planner", "--name", "P").exit_code == 0
    result = _invoke("token", names["user"])
    assert result.exit_code == 0, result.output
    days = _one(engine, "SELECT round(extract(epoch FROM expires_at - created_at) / 86400)"
                        " FROM api_tokens WHERE token_sha256 = :h",
                h=hash_token(result.stdout.strip()))
    assert days == (11,)


@pytest.mark.parametrize(("args", "message"), [
    (["add", "{user}", "--role", "operator", "--name", "X"], "needs its operator's code"),
    (["add", "{user}", "--role", "operator", "--name", "X", "--operator", "NOPE"],
     "unknown operator 'NOPE'"),
    (["add", "{user}", "--role", "planner", "--name", "X", "--operator", "{operator}"],
     "does not belong to an operator"),
    (["add", "Bad Name", "--role", "planner", "--name", "X"], "lower-case letters"),
    (["add", "{user}", "--role", "boss", "--name", "X"], "'boss' is not one of"),
    (["token", "{user}-ghost"], "unknown user"),
    (["token", "{user}", "--days", "0"], "--days"),
    (["revoke", "987654321"], "no token with id 987654321"),
    (["deactivate", "{user}-ghost"], "unknown user"),
])
def test_bad_input_exits_2_and_writes_nothing(engine, names, args, message):
    """Each bad input is one clear line (no traceback), exit code 2, nothing written."""
    before = _one(engine, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM api_tokens)")
    result = _invoke(*(a.format(**names) for a in args))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    after = _one(engine, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM api_tokens)")
    assert after == before


def test_duplicate_user_exits_2(engine, names):
    """Adding a username that exists fails cleanly and leaves the first user as it was."""
    assert _invoke("add", names["user"], "--role", "planner", "--name", "First").exit_code == 0
    result = _invoke("add", names["user"], "--role", "admin", "--name", "Second")
    assert result.exit_code == 2 and "already exists" in result.output
    assert _one(engine, "SELECT full_name, role FROM users WHERE username = :u",
                u=names["user"]) == ("First", "planner")
