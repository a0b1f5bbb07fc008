"""Synthetic undergrounding plans 2024-2026 (rows of ``plans.csv``).

Per commune (a km target) and per operator (a list of routes, with their length as the km
target). Each commune plan names a commune in force on 1 January of its year: the old ones for
2024-2025, the merged ones for 2026. The legal basis is illustrative text, not a real
document number.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gis.choices import Placement
from gis.sample.geography import Unit
from gis.sample.names import CABLE_OPERATORS

PLAN_COLUMNS = ["year", "name", "commune_code", "operator", "target_km", "legal_basis",
                "route_codes"]
YEARS = (2024, 2025, 2026)
COMMUNE_PLANS_PER_YEAR = 3
ROUTES_PER_OPERATOR_PLAN = 3
LEGAL_BASIS = ("SYNTHETIC example: kế hoạch ngầm hóa, chỉnh trang cáp viễn thông (illustrative; "
               "implements QĐ 1132/QĐ-TTg of 09/10/2024, the national digital-infrastructure "
               "strategy)")


def build_plans(units: list[Unit], segments: pd.DataFrame, history: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """Commune km targets and operator route lists for :data:`YEARS`.

    ``segments`` carries ``_length_m`` (geodesic metres); operator plans pick aerial routes,
    those of the year's undergrounding first (so some plans are visibly done).
    """
    rows = []
    for year in YEARS:
        in_force = date(year, 1, 1)
        communes = [u for u in units if u.level == "commune" and u.valid_from <= in_force
                    and (u.valid_to is None or u.valid_to > in_force)]
        picked = rng.choice(len(communes), min(COMMUNE_PLANS_PER_YEAR, len(communes)),
                            replace=False)
        for i in sorted(picked.tolist()):
            unit = communes[i]
            rows.append({"year": year, "name": f"Ngầm hóa {year} - {unit.name}",
                         "commune_code": unit.code, "operator": "",
                         "target_km": round(float(rng.uniform(0.5, 3.0)), 1),
                         "legal_basis": LEGAL_BASIS, "route_codes": ""})
    routes = _route_lengths(segments, history)
    for year in YEARS[1:]:
        for op in CABLE_OPERATORS:
            mine = routes[routes["operator"] == op.code]
            moved = mine[mine["under_year"] == year].index.tolist()
            rest = mine[mine["under_year"].isna()].index.tolist()
            extra = rng.choice(len(rest), min(len(rest), ROUTES_PER_OPERATOR_PLAN), replace=False)
            codes = sorted(moved[:ROUTES_PER_OPERATOR_PLAN] + [rest[i] for i in extra])
            if not codes:
                continue
            rows.append({"year": year, "name": f"Ngầm hóa {year} - {op.name}",
                         "commune_code": "", "operator": op.code,
                         "target_km": round(float(routes.loc[codes, "km"].sum()), 3),
                         "legal_basis": LEGAL_BASIS, "route_codes": ";".join(codes)})
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def _route_lengths(segments: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Per initially-aerial route: operator, km, and the year it went underground (or NaN)."""
    aerial = segments[segments["placement"] == Placement.OVERHEAD.value]
    under = history[history["placement"] == Placement.UNDERGROUND.value]
    first_under = under.groupby("source_fid")["effective_date"].min()
    year = pd.to_datetime(first_under.reindex(aerial["source_fid"]).to_numpy()).year
    table = pd.DataFrame({"route": aerial["route_code"], "operator": aerial["operator"],
                          "km": aerial["_length_m"] / 1000.0, "year": np.asarray(year)})
    return table.groupby("route").agg(operator=("operator", "first"), km=("km", "sum"),
                                      under_year=("year", "min"))
