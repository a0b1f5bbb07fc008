"""Fixtures of the export tests: the small network of :mod:`tests.exports.network`."""

from __future__ import annotations

import pytest

from tests.exports.network import ExportNet, make_export_net


@pytest.fixture
def net(session) -> ExportNet:
    """The export tests' network, in the test's rolled-back transaction."""
    return make_export_net(session)
