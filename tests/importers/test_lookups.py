"""Lookups scale past PostgreSQL's 65,535 bound parameters per statement."""

import numpy as np

from gis.importers.pipeline import _lookups
from tests.factories import make_operator, make_route


def test_route_lookup_with_70000_codes(session):
    """A file naming 70,000 routes is looked up in one statement, and known ones are found."""
    vnpt = make_operator(session, "VNPT")
    make_route(session, vnpt, code="R-69999")
    codes = np.array([f"R-{i}" for i in range(70_000)], dtype=object)
    lookups = _lookups(session, codes)
    assert lookups.routes == {"R-69999": vnpt.id}
