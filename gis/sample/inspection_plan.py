"""A plausible, SYNTHETIC inspection history for the generated network, written as files.

The department's year: 10 inspection campaigns in 2023 over the (pre-2025) communes, visits with
a result for every checklist item that applies to the segment's placement on the visit date,
operators reporting remediation, follow-up visits that verify fixes (or find none), and 7
penalty decisions totalling 28,250,000 VND; then one campaign in 2024, one in 2025 (the merged
communes) and one still running in late 2026, which leaves violations open, some overdue.

Files (next to the network files; loaded by :mod:`gis.sample.inspection_load`):
``users.csv``, ``campaigns.csv``, ``visits.jsonl`` (one visit per line, the body an inspector's
app would send, segment named by ``source_fid``), ``remediations.csv`` and ``penalties.csv``
(violations named ``<visit key>:<item code>``).

Everything is deterministic for a seed. Names, plan numbers and decision numbers are invented.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis.compliance.catalogue import ItemSpec, bundled_path, parse_catalogue
from gis.sample.files import write_csv
from gis.sample.geography import Unit

#: The last day with visits: the history is fixed, so regenerating gives the same files.
INSPECTIONS_UNTIL = date(2026, 11, 20)
VN = timezone(timedelta(hours=7))
#: Namespace of the visits' idempotency keys (uuid5 of seed and visit number).
KEY_NAMESPACE = uuid.UUID("6f1c1e52-5d1a-4b8e-9a55-0c6d2f3e7a10")

ADMIN = ("quantri", "Quản trị hệ thống", "admin", "")
PLANNER = ("quyhoach.hoa", "Đỗ Thị Hoa", "planner", "")
INSPECTORS = (
    ("thanhtra.an", "Nguyễn Văn An"),
    ("thanhtra.binh", "Trần Thị Bình"),
    ("thanhtra.cuong", "Lê Văn Cường"),
    ("thanhtra.dung", "Phạm Thị Dung"),
)
#: Operators whose staff report remediation through the system.
REPORTING_OPERATORS = ("VNPT", "VIETTEL", "FPT", "VTVCAB")

#: 2023 campaign periods (month, first day, last day).
PERIODS_2023 = (
    (2, 13, 28), (3, 6, 31), (4, 3, 28), (5, 8, 31), (6, 5, 30),
    (7, 3, 28), (8, 7, 31), (9, 4, 29), (10, 2, 31), (11, 6, 30),
)
LATER_CAMPAIGNS = (
    ("KT-2024-01", date(2024, 5, 6), date(2024, 6, 14)),
    ("KT-2025-01", date(2025, 9, 8), date(2025, 10, 17)),
    ("KT-2026-01", date(2026, 10, 12), date(2026, 12, 18)),
)
VISITS_PER_CAMPAIGN = 45

#: Seven decisions in 2023; the sum is 28,250,000 VND.
PENALTY_AMOUNTS = (3_500_000, 4_000_000, 5_000_000, 2_500_000, 4_500_000, 3_000_000, 5_750_000)
PENALTY_DECREE = "Nghị định 15/2020/NĐ-CP (sửa đổi, bổ sung bởi Nghị định 14/2022/NĐ-CP)"
PENALTY_ARTICLE = "Điều 40"
PENALTY_CLAUSE = "khoản 1"
PENALTY_NOTE = ("SYNTHETIC example decision. The fine ranges of Điều 40 khoản 1-2 are unsourced "
                "in the domain brief; amounts are illustrative.")
LEGAL_BASIS = ("SYNTHETIC: Kế hoạch kiểm tra số {n}/KH-STTTT; QCVN 33:2019/BTTTT; "
               "Nghị định 15/2020/NĐ-CP sửa đổi bởi Nghị định 14/2022/NĐ-CP")

#: Chance that one checklist item fails, by the segment's state at the visit.
FAIL_RATE = {"overhead": 0.06, "overhead_tidied": 0.015, "underground": 0.02}
NOT_CHECKED_RATE = 0.03


@dataclass
class Visit:
    """One planned visit (a line of visits.jsonl)."""

    key: str
    campaign: str | None
    inspector: str
    segment: str
    visited_at: datetime
    lon: float
    lat: float
    accuracy_m: float
    results: list[dict]
    note: str | None = None

    def as_json(self) -> str:
        return json.dumps({
            "key": self.key, "campaign": self.campaign, "inspector": self.inspector,
            "segment": self.segment, "visited_at": self.visited_at.isoformat(),
            "lon": self.lon, "lat": self.lat, "accuracy_m": self.accuracy_m,
            "note": self.note, "results": self.results,
        }, ensure_ascii=False)


@dataclass
class Plan:
    """The whole planned history, ready to write."""

    users: list[tuple[str, str, str, str]]
    campaigns: list[dict]
    visits: list[Visit] = field(default_factory=list)
    remediations: list[dict] = field(default_factory=list)
    penalties: list[dict] = field(default_factory=list)


@dataclass
class _Open:
    """A violation the plan knows is open: which visit found it, due date, operator."""

    visit: Visit
    item: ItemSpec
    segment: str
    operator: str
    found: date
    due: date
    reported: datetime | None = None
    resolved: date | None = None


class _Network:
    """The generated segments with their state at any date (initial state + history rows)."""

    def __init__(self, segments: pd.DataFrame, history: pd.DataFrame) -> None:
        self.frame = segments.reset_index(drop=True)
        self.fid = self.frame["source_fid"].to_numpy()
        self.index = {fid: i for i, fid in enumerate(self.fid)}
        self.mid_lon = ((self.frame["x0"] + self.frame["x1"]) / 2).to_numpy()
        self.mid_lat = ((self.frame["y0"] + self.frame["y1"]) / 2).to_numpy()
        self.points = shapely.points(self.mid_lon, self.mid_lat)
        rows = history.sort_values(["source_fid", "effective_date"], kind="stable")
        self.changes: dict[str, list[tuple[date, str, bool, str]]] = {}
        for fid, eff, placement, tidied, lifecycle in zip(
            rows["source_fid"], rows["effective_date"], rows["placement"], rows["tidied"],
            rows["lifecycle"], strict=True,
        ):
            self.changes.setdefault(fid, []).append(
                (_as_date(eff), placement, _as_bool(tidied), lifecycle))

    def state(self, i: int, on: date) -> tuple[str, bool, str] | None:
        """(placement, tidied, lifecycle) of segment ``i`` on ``on``; None before it existed."""
        row = self.frame.iloc[i]
        if _as_date(row["state_date"]) > on:
            return None
        state = (row["placement"], _as_bool(row["tidied"]), row["lifecycle"])
        for eff, placement, tidied, lifecycle in self.changes.get(self.fid[i], ()):
            if eff <= on:
                state = (placement, tidied, lifecycle)
        return state


def _as_date(value) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _as_bool(value) -> bool:
    return value if isinstance(value, bool | np.bool_) else str(value).strip().lower() == "true"


def build_plan(
    segments: pd.DataFrame, history: pd.DataFrame, units: list[Unit],
    rng: np.random.Generator, seed: int,
) -> Plan:
    """Plan the inspection history for the network ``segments`` (lon/lat ends x0,y0,x1,y1)."""
    items = parse_catalogue(bundled_path().read_bytes()).items
    network = _Network(segments, history)
    operators = sorted(set(network.frame["operator"]))
    users = [ADMIN, PLANNER, *[(u, n, "inspector", "") for u, n in INSPECTORS]]
    users += [(f"{code.lower()}.baocao", f"Cán bộ báo cáo {code}", "operator", code)
              for code in REPORTING_OPERATORS if code in operators]
    plan = Plan(users=users, campaigns=[])
    counter = iter(range(1, 1_000_000))
    open_violations: list[_Open] = []

    def key() -> str:
        return str(uuid.uuid5(KEY_NAMESPACE, f"{seed}:{next(counter)}"))

    populated = {u.code for u in units if u.level == "commune"
                 and shapely.contains(u.geom, network.points).sum() >= VISITS_PER_CAMPAIGN}

    def communes_on(day: date) -> list[Unit]:
        """Communes in force on ``day`` with enough cable to fill a campaign."""
        return [u for u in units if u.level == "commune" and u.code in populated
                and u.valid_from <= day and (u.valid_to is None or u.valid_to > day)]

    def visit_time(day: date) -> datetime:
        minutes = int(rng.integers(8 * 60, 16 * 60 + 30))
        return datetime.combine(day, time(minutes // 60, minutes % 60), VN)

    def fix(i: int) -> tuple[float, float, float]:
        accuracy = float(np.round(rng.uniform(3, 12), 1))
        dx, dy = rng.normal(0, accuracy / 3 / 111_000, 2)
        return (float(np.round(network.mid_lon[i] + dx, 7)),
                float(np.round(network.mid_lat[i] + dy, 7)), accuracy)

    def results_for(placement: str, tidied: bool, only: set[str] | None = None,
                    fixed: set[str] | None = None) -> list[dict]:
        rate = FAIL_RATE["underground" if placement == "underground"
                         else "overhead_tidied" if tidied else "overhead"]
        out = []
        for item in items:
            if placement not in [p.value for p in item.placements]:
                continue
            if only is not None and item.code not in only:
                out.append({"item": item.code, "result": "not_checked"})
                continue
            if only is not None:
                failed = item.code not in (fixed or set())
            elif rng.random() < NOT_CHECKED_RATE:
                out.append({"item": item.code, "result": "not_checked"})
                continue
            else:
                failed = rng.random() < rate
            out.append(_result(item, failed, rng))
        return out

    def record(visit: Visit, placement: str, operator: str) -> None:
        plan.visits.append(visit)
        found = visit.visited_at.date()
        unresolved = {(o.segment, o.item.code) for o in open_violations if o.resolved is None}
        for res in visit.results:
            item = next(i for i in items if i.code == res["item"])
            pair = (visit.segment, item.code)
            if res["result"] == "fail" and pair not in unresolved:
                open_violations.append(_Open(visit, item, visit.segment, operator, found,
                                             found + timedelta(days=item.remediation_days)))
            elif res["result"] == "pass":
                for o in open_violations:
                    if (o.segment, o.item.code) == pair and o.resolved is None:
                        o.resolved = found

    def campaign_visits(code: str, start: date, end: date, scope_units: list[Unit],
                        scope_ops: list[str], inspectors: list[str]) -> None:
        last = min(end, INSPECTIONS_UNTIL)
        inside = np.zeros(len(network.fid), dtype=bool)
        for unit in scope_units:
            inside |= shapely.contains(unit.geom, network.points)
        inside &= network.frame["operator"].isin(scope_ops).to_numpy()
        candidates = np.flatnonzero(inside)
        rng.shuffle(candidates)
        days = [start + timedelta(days=d) for d in range((last - start).days + 1)]
        days = [d for d in days if d.weekday() < 5]
        chosen = 0
        for i in candidates:
            if chosen == VISITS_PER_CAMPAIGN or not days:
                break
            day = days[int(rng.integers(len(days)))]
            state = network.state(int(i), day)
            if state is None or state[2] != "active":
                continue
            lon, lat, acc = fix(int(i))
            visit = Visit(key(), code, inspectors[chosen % len(inspectors)], network.fid[i],
                          visit_time(day), lon, lat, acc, results_for(state[0], state[1]))
            record(visit, state[0], network.frame["operator"].iloc[i])
            chosen += 1

    def follow_ups(until: date) -> None:
        """Operators report most fixes before the due date; inspectors verify them later."""
        pending = [o for o in open_violations if o.resolved is None and o.reported is None
                   and o.found <= until and o.visit.key not in _followed]
        by_visit: dict[str, list[_Open]] = {}
        for o in pending:
            by_visit.setdefault(o.visit.key, []).append(o)
        for group in by_visit.values():
            first = group[0]
            _followed.add(first.visit.key)
            reports = rng.random() < 0.75 and first.operator in REPORTING_OPERATORS
            if reports:
                latest = max(first.found + timedelta(days=3),
                             min(o.due for o in group) - timedelta(days=int(rng.integers(0, 8))))
                reported_at = datetime.combine(latest, time(9, 30), VN)
                if latest > INSPECTIONS_UNTIL:
                    continue
                for o in group:
                    o.reported = reported_at
                    plan.remediations.append({
                        "violation": f"{o.visit.key}:{o.item.code}",
                        "reported_at": reported_at.isoformat(),
                        "reported_by": f"{o.operator.lower()}.baocao",
                        "note": "Đã khắc phục, đề nghị kiểm tra lại (SYNTHETIC)",
                    })
                day = latest + timedelta(days=int(rng.integers(5, 26)))
                verified = {o.item.code for o in group if rng.random() < 0.9}
            elif rng.random() < 0.5:
                day = max(o.due for o in group) + timedelta(days=int(rng.integers(5, 41)))
                verified = set()
            else:
                continue
            while day.weekday() >= 5:
                day += timedelta(days=1)
            if day > INSPECTIONS_UNTIL:
                continue
            i = network.index[first.segment]
            state = network.state(i, day)
            if state is None or state[2] != "active":
                continue
            lon, lat, acc = fix(i)
            codes = {o.item.code for o in group}
            visit = Visit(key(), None, first.visit.inspector, first.segment, visit_time(day),
                          lon, lat, acc, results_for(state[0], state[1], only=codes,
                                                     fixed=verified),
                          note="Kiểm tra lại việc khắc phục (SYNTHETIC)")
            record(visit, state[0], first.operator)

    _followed: set[str] = set()
    inspectors = [u for u, _ in INSPECTORS]
    for n, (month, first, last) in enumerate(PERIODS_2023, start=1):
        start, end = date(2023, month, first), date(2023, month, last)
        communes = communes_on(start)
        scope_units = [communes[(2 * n + k) % len(communes)] for k in range(2)]
        scope_ops = operators if n % 2 else [operators[n % len(operators)],
                                             operators[(n + 2) % len(operators)]]
        team = [inspectors[n % 4], inspectors[(n + 1) % 4]]
        code = f"KT-2023-{n:02d}"
        plan.campaigns.append(_campaign(code, n, start, end, scope_units, scope_ops, team))
        campaign_visits(code, start, end, scope_units, scope_ops, team)
        follow_ups(end)
    follow_ups(date(2023, 12, 31))
    _plan_penalties(plan, open_violations, rng)

    for n, (code, start, end) in enumerate(LATER_CAMPAIGNS, start=11):
        communes = communes_on(start)
        scope_units = [communes[(3 * n + k) % len(communes)] for k in range(2)]
        team = [inspectors[n % 4], inspectors[(n + 2) % 4]]
        plan.campaigns.append(_campaign(code, n, start, end, scope_units, operators, team))
        campaign_visits(code, start, end, scope_units, operators, team)
        if code != "KT-2025-01":  # 2025's findings are left without follow-up: overdue now
            follow_ups(min(end, INSPECTIONS_UNTIL))
    plan.visits.sort(key=lambda v: v.visited_at)
    return plan


def _result(item: ItemSpec, failed: bool, rng: np.random.Generator) -> dict:
    """A result for ``item``, with a measured value consistent with its limit."""
    out: dict = {"item": item.code, "result": "fail" if failed else "pass"}
    if item.limit_kind is None or item.limit_value is None:
        return out
    limit = float(item.limit_value)
    if item.measure_unit and "boxes" in item.measure_unit:
        value = Decimal(int(limit) + 1 if failed else int(limit))
    else:
        below = item.limit_kind == "min"
        lo, hi = (limit * 0.8, limit * 0.98) if failed == below else (limit * 1.02, limit * 1.4)
        value = Decimal(str(round(float(rng.uniform(lo, hi)), 1)))
    out["measured_value"] = str(value)
    return out


def _campaign(code: str, n: int, start: date, end: date, units: list[Unit],
              operators: list[str], inspectors: list[str]) -> dict:
    names = ", ".join(u.name for u in units)
    return {
        "code": code,
        "name": f"Kiểm tra cáp viễn thông tại {names} ({start.year})",
        "legal_basis": LEGAL_BASIS.format(n=100 + n),
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "communes": ";".join(u.code for u in units),
        "operators": ";".join(operators),
        "inspectors": ";".join(inspectors),
    }


def _plan_penalties(plan: Plan, violations: list[_Open], rng: np.random.Generator) -> None:
    """Seven 2023 decisions against operators whose violations were overdue and unfixed."""
    overdue = [o for o in violations
               if o.found.year == 2023 and (o.resolved is None or o.resolved > o.due)
               and o.due < date(2023, 12, 1)]
    by_operator: dict[str, list[_Open]] = {}
    for o in sorted(overdue, key=lambda o: (o.due, o.visit.key, o.item.code)):
        by_operator.setdefault(o.operator, []).append(o)
    queue = [op for op in sorted(by_operator, key=lambda k: -len(by_operator[k]))]
    for n, amount in enumerate(PENALTY_AMOUNTS, start=1):
        if not queue:
            break
        operator = queue[(n - 1) % len(queue)]
        pool = by_operator[operator]
        take, by_operator[operator] = pool[:2], pool[2:]
        if not by_operator[operator]:
            queue.remove(operator)
        if not take:
            continue
        decided = max(o.due for o in take) + timedelta(days=int(rng.integers(10, 25)))
        decided = min(decided, date(2023, 12, 28))
        plan.penalties.append({
            "number": "",
            "decided_on": decided.isoformat(),
            "operator": operator,
            "decree": PENALTY_DECREE,
            "article": PENALTY_ARTICLE,
            "clause": PENALTY_CLAUSE,
            "amount_vnd": amount,
            "violations": ";".join(f"{o.visit.key}:{o.item.code}" for o in take),
            "note": PENALTY_NOTE,
        })
    plan.penalties.sort(key=lambda p: (p["decided_on"], p["operator"]))
    for n, decision in enumerate(plan.penalties, start=1):
        decision["number"] = f"{n:02d}/QĐ-XPHC-2023"


def write_plan(out: Path, plan: Plan) -> dict[str, int]:
    """Write the plan's files into ``out``; return rows per file."""
    rows = {
        "users.csv": write_csv(out / "users.csv", pd.DataFrame(
            plan.users, columns=["username", "full_name", "role", "operator"])),
        "campaigns.csv": write_csv(out / "campaigns.csv", pd.DataFrame(plan.campaigns)),
        "remediations.csv": write_csv(out / "remediations.csv", pd.DataFrame(
            plan.remediations, columns=["violation", "reported_at", "reported_by", "note"])),
        "penalties.csv": write_csv(out / "penalties.csv", pd.DataFrame(
            plan.penalties, columns=["number", "decided_on", "operator", "decree", "article",
                                     "clause", "amount_vnd", "violations", "note"])),
    }
    with open(out / "visits.jsonl", "w", encoding="utf-8", newline="\n") as handle:
        for visit in plan.visits:
            handle.write(visit.as_json() + "\n")
    rows["visits.jsonl"] = len(plan.visits)
    return rows
