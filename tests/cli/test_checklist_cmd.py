"""`telecom-gis checklist load|show` through the real command line (real commits; versions
loaded here are removed afterwards so other tests see only the bundled catalogue)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gis.cli import app
from gis.compliance.catalogue import bundled_path
from gis.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, database_url, engine):
    """Point the CLI at the test database; afterwards drop the versions a test loaded (items
    are frozen by a trigger, which the table owner may bypass for this clean-up)."""
    monkeypatch.setenv("TELECOM_GIS_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT coalesce(max(id), 0) FROM checklist_versions"))
        version_mark = versions.scalar_one()
        audit_mark = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    yield
    get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE checklist_items DISABLE TRIGGER checklist_items_frozen"))
        conn.execute(text("DELETE FROM checklist_items WHERE version_id > :m"), {"m": version_mark})
        conn.execute(text("ALTER TABLE checklist_items ENABLE TRIGGER checklist_items_frozen"))
        conn.execute(text("DELETE FROM checklist_versions WHERE id > :m"), {"m": version_mark})
        conn.execute(text("DELETE FROM audit_log WHERE id > :m"), {"m": audit_mark})


def _versions(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT code FROM checklist_versions ORDER BY id")).scalars())


def _local_file(tmp_path, code="HY-2025/v2", extra=""):
    content = bundled_path().read_text("utf-8").replace(
        'code = "QCVN33-2019/v1"', f'code = "{code}"', 1).replace(
        "effective_from = 2020-07-01", "effective_from = 2099-01-01", 1) + extra
    path = tmp_path / "local.toml"
    path.write_text(content, "utf-8")
    return path


def test_load_then_again_then_show(cli_env, engine, tmp_path):
    """A new version is loaded once; loading it again is a no-op; show lists and details it."""
    path = _local_file(tmp_path)
    first = runner.invoke(app, ["checklist", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert "loaded checklist HY-2025/v2: 14 items, in force from 2099-01-01" in first.output
    again = runner.invoke(app, ["checklist", "load", str(path)])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert _versions(engine) == ["QCVN33-2019/v1", "HY-2025/v2"]
    listing = runner.invoke(app, ["checklist", "show"])
    assert listing.exit_code == 0, listing.output
    assert "QCVN33-2019/v1" in listing.output and "HY-2025/v2" in listing.output
    detail = runner.invoke(app, ["checklist", "show", "QCVN33-2019/v1"])
    assert detail.exit_code == 0, detail.output
    assert "Slack coil at most 10 m" in detail.output and "≤ 10 m" in detail.output
    assert "≥ 5.5 m *" in detail.output  # C7's limit is a local (unsourced) value


@pytest.mark.parametrize(("edit", "message"), [
    ("\n[[items]]\ncode = \"C1\"\n", "items"),
    ("\nthis is = not toml =\n", "not valid UTF-8 TOML"),
])
def test_bad_file_is_exit_2_and_writes_nothing(cli_env, engine, tmp_path, edit, message):
    """A malformed catalogue names the file and field; exit code 2; no version written."""
    path = _local_file(tmp_path, extra=edit)
    result = runner.invoke(app, ["checklist", "load", str(path)])
    assert result.exit_code == 2, result.output
    assert "local.toml" in result.output and message in result.output
    assert "nothing was written" in result.output
    assert _versions(engine) == ["QCVN33-2019/v1"]


def test_changed_content_under_a_loaded_code_and_missing_file(cli_env, engine, tmp_path):
    """A loaded version never changes; an unreadable file is a clean error."""
    path = _local_file(tmp_path, code="QCVN33-2019/v1")
    changed = runner.invoke(app, ["checklist", "load", str(path)])
    assert changed.exit_code == 2 and "already loaded with other content" in changed.output
    missing = runner.invoke(app, ["checklist", "load", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    unknown = runner.invoke(app, ["checklist", "show", "NOPE"])
    assert unknown.exit_code == 2 and "no checklist version 'NOPE'" in unknown.output
    assert "Traceback" not in changed.output + missing.output + unknown.output
