"""Fixtures of the report tests: the committed demo province, loaded once per module in a
transaction rolled back at the end of the module (the fixtures of tests/sample), and a
``session`` on it whose changes are rolled back after each test."""

from __future__ import annotations

import pytest

from tests.sample.conftest import demo_loaded, demo_session  # noqa: F401  (fixtures)


@pytest.fixture
def session(demo_session):  # noqa: F811
    """Every test of this folder starts from the demo."""
    return demo_session
