"""Dated changes of the synthetic network, 2020-2025, as rows of ``segment_history.csv``.

Three kinds of change, after what Thái Bình actually did (domain brief §3):

* the 2020 city plan (S28): tidy Lý Thường Kiệt, Võ Nguyên Giáp and Quang Trung between
  15/4 and 15/6/2020, and move whole streets underground with the power grid project (the
  real plan named 14 streets; here Lý Thường Kiệt in 2021-2023, and
  :data:`UNDERGROUND_STREET_SHARE` of the other streets over 2020-2025);
* half-yearly tidying campaigns (6-monthly tidying, S11): each tidies a share of the aerial
  streets;
* yearly campaigns 12/6-3/7 removing unused drop cable (S29).

Each row is a segment's full state from its ``effective_date`` on. A segment gets at most one
change of each kind; tidying after undergrounding and anything after removal are dropped.
Every date is after the segment's ``state_date`` and on or before :data:`LAST_DATE`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gis.choices import Lifecycle, Placement, PlacementKind
from gis.sample.names import PLAN_2020_STREETS
from gis.sample.network import random_dates
from gis.sample.street_grid import StreetKind

#: No change is dated after this day (and never after today: the database refuses that).
LAST_DATE = date(2025, 12, 31)
PLAN_2020_TIDY = (date(2020, 4, 15), date(2020, 6, 15))
#: Share of the aerial avenues and streets (whole named streets) moved underground.
UNDERGROUND_STREET_SHARE = 0.08
#: The 2020 plan's streets that also went underground.
PLAN_2020_UNDERGROUND = PLAN_2020_STREETS[:1]
#: Share of the still untidy aerial streets each half-yearly campaign tidies.
TIDY_SHARE = 0.07
#: Share of drop runs (alleys) each yearly campaign removes as unused.
REMOVAL_SHARE = 0.04
HISTORY_COLUMNS = ["source_fid", "effective_date", "placement", "placement_kind", "tidied",
                   "lifecycle", "source", "note"]

_NAT = np.datetime64("NaT", "D")


def _day(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def _per_operator(rng: np.random.Generator, street_date: np.ndarray, days: int) -> np.ndarray:
    """Each operator finishes its part up to ``days`` after the street's date."""
    return street_date + rng.integers(0, days + 1, len(street_date))


def build_history(segments: pd.DataFrame, rng: np.random.Generator, source: str) -> pd.DataFrame:
    """Rows of ``segment_history.csv`` for the segments built by ``gis.sample.network``."""
    n = len(segments)
    group = segments["_group"].to_numpy()
    kind = segments["_kind"].to_numpy()
    street = segments["_street"].to_numpy()
    run = segments["_run"].to_numpy()
    aerial = segments["placement"].to_numpy() == Placement.OVERHEAD.value
    notes: dict[str, np.ndarray] = {}

    # Undergrounding the aerial cable of whole streets (not the roads an avenue continues into).
    under_date = np.full(n, _NAT)
    named = pd.DataFrame({"group": group, "street": street, "kind": kind, "aerial": aerial})
    groups = named[named["kind"].isin([StreetKind.AVENUE.value, StreetKind.STREET.value])]
    groups = groups.groupby("group").agg(street=("street", "first"), aerial=("aerial", "any"))
    groups = groups[groups["aerial"]]
    plan = groups.index[groups["street"].isin(PLAN_2020_UNDERGROUND)].to_numpy()
    others = groups.index[~groups["street"].isin(PLAN_2020_STREETS)].to_numpy()
    wanted = round(UNDERGROUND_STREET_SHARE * len(others))
    extra = rng.choice(others, wanted, replace=False)
    chosen = np.r_[plan, np.sort(extra)]
    street_dates = np.r_[
        random_dates(rng, len(plan), date(2021, 3, 1), date(2023, 12, 31)),
        random_dates(rng, len(extra), date(2020, 9, 1), date(2025, 10, 31)),
    ]
    when = pd.Series(street_dates, index=chosen)
    hit = np.isin(group, chosen) & aerial
    hit &= np.isin(kind, [StreetKind.AVENUE.value, StreetKind.STREET.value])
    under_date[hit] = _per_operator(rng, when.loc[group[hit]].to_numpy(), 45)
    notes["under"] = np.where(np.isin(street, PLAN_2020_UNDERGROUND),
                              "moved underground (2020 city plan, with the power grid project)",
                              "moved underground with the street's renovation")

    # Tidying: the 2020 plan's three streets, then half-yearly campaigns on random streets.
    tidy_date = np.full(n, _NAT)
    tidy_note = np.full(n, "", dtype=object)
    in_plan = np.isin(street, PLAN_2020_STREETS) & aerial
    tidy_date[in_plan] = random_dates(rng, int(in_plan.sum()), *PLAN_2020_TIDY)
    tidy_note[in_plan] = "tidied and bundled (2020 city plan: Lý Thường Kiệt, Võ Nguyên Giáp, " \
                         "Quang Trung)"
    streets = aerial & (kind != StreetKind.ALLEY.value)
    for year in range(2020, 2026):
        for half, (first, last) in enumerate(((date(year, 1, 1), date(year, 6, 30)),
                                              (date(year, 7, 1), date(year, 12, 31)))):
            if (year, half) == (2020, 0):
                continue
            untidy = np.unique(group[streets & np.isnat(tidy_date) & ~(under_date <= _day(first))])
            picked = rng.choice(untidy, round(TIDY_SHARE * len(untidy)), replace=False)
            days = pd.Series(random_dates(rng, len(picked), first, last), index=picked)
            sel = np.isin(group, picked) & aerial & np.isnat(tidy_date)
            tidy_date[sel] = np.minimum(_per_operator(rng, days.loc[group[sel]].to_numpy(), 20),
                                        _day(last))
            tidy_note[sel] = f"tidied in the {'first' if half == 0 else 'second'} half-year " \
                             f"campaign {year}"
    notes["tidy"] = tidy_note

    # Removal of unused drop cable, whole runs, in the yearly campaign window 12/6-3/7.
    removed_date = np.full(n, _NAT)
    drop_runs = np.unique(run[(kind == StreetKind.ALLEY.value) & aerial])
    for year in range(2021, 2026):
        left = drop_runs[~np.isin(drop_runs, run[~np.isnat(removed_date)])]
        picked = rng.choice(left, min(len(left), round(REMOVAL_SHARE * len(drop_runs))),
                            replace=False)
        days = pd.Series(random_dates(rng, len(picked), date(year, 6, 12), date(year, 7, 3)),
                         index=picked)
        sel = np.isin(run, picked)
        removed_date[sel] = days.loc[run[sel]].to_numpy()
    notes["removed"] = np.full(n, "unused cable removed (campaign 12/6-3/7)", dtype=object)

    # Consistency: no tidying once underground or removed.
    tidy_date[(tidy_date >= under_date) | (tidy_date >= removed_date)] = _NAT
    last = _day(LAST_DATE)
    under_date[under_date > last] = last
    return _rows(segments, under_date, tidy_date, removed_date, notes, source)


def _rows(segments: pd.DataFrame, under: np.ndarray, tidy: np.ndarray, removed: np.ndarray,
          notes: dict[str, np.ndarray], source: str) -> pd.DataFrame:
    """One row per (segment, change date): the segment's full state from that date on."""
    frames = []
    for event, dates in (("under", under), ("tidy", tidy), ("removed", removed)):
        idx = np.flatnonzero(~np.isnat(dates))
        frames.append(pd.DataFrame({"seg": idx, "date": dates[idx], "note": notes[event][idx]}))
    events = pd.concat(frames, ignore_index=True)
    events = events.groupby(["seg", "date"], sort=True).agg(note=("note", "; ".join))
    events = events.reset_index()
    seg, when = events["seg"].to_numpy(), events["date"].to_numpy().astype("datetime64[D]")
    is_under = (under[seg] <= when) | (segments["placement"].to_numpy()[seg]
                                       == Placement.UNDERGROUND.value)
    return pd.DataFrame({
        "source_fid": segments["source_fid"].to_numpy()[seg],
        "effective_date": when,
        "placement": np.where(is_under, Placement.UNDERGROUND.value, Placement.OVERHEAD.value),
        "placement_kind": np.where(is_under, PlacementKind.DUCT.value, PlacementKind.AERIAL.value),
        "tidied": segments["tidied"].to_numpy()[seg] | (tidy[seg] <= when),
        "lifecycle": np.where(removed[seg] <= when, Lifecycle.REMOVED.value,
                              Lifecycle.ACTIVE.value),
        "source": source,
        "note": events["note"].to_numpy(),
    })[HISTORY_COLUMNS]
