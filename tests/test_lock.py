"""requirements.lock pins exactly what telecom-gis[dev] installs: every package of the
dependency closure of pyproject.toml, at the version installed (make install uses the lock as
pip constraints, so a dependency changed without `make lock` fails here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lock_module():
    spec = importlib.util.spec_from_file_location("lock", ROOT / "scripts" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_is_the_installed_closure_of_pyproject():
    lock = _lock_module()
    locked = lock.read_lock()
    installed = lock.closure()
    assert {"fastapi", "sqlalchemy", "geoalchemy2", "psycopg", "pytest"} <= set(locked)
    missing = sorted(set(installed) - set(locked))
    extra = sorted(set(locked) - set(installed))
    differ = sorted(n for n in set(locked) & set(installed) if locked[n] != installed[n])
    assert not (missing or extra or differ), (
        f"run `make lock`: not locked {missing}, no longer needed {extra}, "
        f"other versions installed {[(n, locked[n], installed[n]) for n in differ]}")
