"""Write requirements.lock: the exact version of every package telecom-gis[dev] needs, as
installed in this environment (the closure of pyproject.toml's requirements, nothing else).

    .venv/bin/python scripts/lock.py          # rewrite requirements.lock (`make lock`)
    .venv/bin/python scripts/lock.py --check  # exit 1 when the lock and the environment differ

`make install` installs with ``-c requirements.lock``, so every machine gets these versions.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PROJECT = "telecom-gis"
HEADER = ("# Exact versions of everything telecom-gis[dev] installs (scripts/lock.py; `make lock`"
          " rewrites it).\n# `make install` uses it as pip constraints: every machine gets these"
          " versions.\n")


def closure(root: str = PROJECT, extras: tuple[str, ...] = ("dev",)) -> dict[str, str]:
    """Canonical name -> installed version of every distribution ``root[extras]`` requires,
    directly or not (environment markers evaluated here)."""
    found: dict[str, str] = {}
    todo = [(root, set(extras))]
    while todo:
        name, wanted = todo.pop()
        dist = metadata.distribution(name)
        for text in dist.requires or ():
            requirement = Requirement(text)
            ok = requirement.marker is None or any(
                requirement.marker.evaluate({**default_environment(), "extra": extra})
                for extra in (wanted or {""}))
            if not ok:
                continue
            key = canonicalize_name(requirement.name)
            sub = set(requirement.extras)
            if key in found and not sub:
                continue
            found[key] = metadata.version(requirement.name)
            todo.append((requirement.name, sub))
    found.pop(canonicalize_name(root), None)
    return dict(sorted(found.items()))


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins.items())


def read_lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    pins = closure()
    if args.check:
        locked = read_lock() if LOCK.exists() else {}
        if locked != pins:
            changed = sorted(set(locked.items()) ^ set(pins.items()))
            print(f"requirements.lock differs from the environment: {changed[:10]}",
                  file=sys.stderr)
            return 1
        return 0
    LOCK.write_text(render(pins))
    print(f"wrote {LOCK.name}: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
