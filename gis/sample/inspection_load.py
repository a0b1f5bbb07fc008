"""Load the sample's inspection history (files of :mod:`gis.sample.inspection_plan`) through the
same services the API uses, so every rule holds: users, campaigns, visits with their checklist
results (which open and verify violations), operators' remediation reports and penalty decisions,
replayed in time order.

Idempotent: users, campaigns and decisions are matched by username / code / number, visits by
their idempotency key (a replay changes nothing), reports only touch violations still open.
The caller owns the transaction.
"""

from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.auth import Principal, create_user
from gis.choices import ItemResult, Role, ViolationState
from gis.compliance.campaigns import CampaignInput, create_campaign
from gis.compliance.penalties import record_decision
from gis.compliance.violations import report_remediation
from gis.compliance.visits import ResultInput, VisitInput, record_visit
from gis.db import set_actor
from gis.models import (
    Campaign,
    ChecklistItem,
    Inspection,
    PenaltyDecision,
    User,
    Violation,
)
from gis.progress import ProgressFn, no_progress
from gis.sample.inspection_plan import ADMIN, VN
from gis.settings import Settings

FILES = ("users.csv", "campaigns.csv", "visits.jsonl", "remediations.csv", "penalties.csv")


@dataclass(frozen=True)
class _Event:
    at: datetime
    order: int
    kind: str
    row: dict


def has_inspection_history(directory: Path) -> bool:
    """True when ``directory`` holds the inspection history files."""
    return all((directory / name).exists() for name in FILES)


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_inspection_history(
    session: Session,
    directory: Path,
    source: str,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> dict[str, dict[str, int]]:
    """Replay the history files of ``directory`` (segments of ``source``); return counts per
    item (read / added / updated / removed)."""
    report = progress or no_progress
    users = _load_users(session, _csv(directory / "users.csv"))
    campaigns = _load_campaigns(session, _csv(directory / "campaigns.csv"), users)
    segment_ids = dict(session.execute(
        text("SELECT source_fid, id FROM cable_segments WHERE source = :s"), {"s": source}
    ).all())
    visits = [json.loads(line) for line in
              (directory / "visits.jsonl").read_text("utf-8").splitlines() if line.strip()]
    remediations = _csv(directory / "remediations.csv")
    penalties = _csv(directory / "penalties.csv")
    events = sorted(
        [_Event(datetime.fromisoformat(v["visited_at"]), 1, "visit", v) for v in visits]
        + [_Event(datetime.fromisoformat(r["reported_at"]), 0, "report", r)
           for r in remediations]
        + [_Event(datetime.combine(date.fromisoformat(p["decided_on"]), time(17), VN), 2,
                  "penalty", p) for p in penalties],
        key=lambda e: (e.at, e.order),
    )
    added = {"visit": 0, "report": 0, "penalty": 0}
    for done, event in enumerate(events):
        if event.kind == "visit":
            added["visit"] += _visit(session, event.row, users, campaigns, segment_ids,
                                     settings)
        elif event.kind == "report":
            added["report"] += _report(session, event.row, users)
        else:
            added["penalty"] += _penalty(session, event.row)
        if done % 50 == 0:
            report("inspection history", done, len(events))
    report("inspection history", len(events), len(events))
    return {
        "users": _counts(len(users["rows"]), users["added"]),
        "campaigns": _counts(len(campaigns["rows"]), campaigns["added"]),
        "visits": _counts(len(visits), added["visit"]),
        "remediations": _counts(len(remediations), added["report"]),
        "penalties": _counts(len(penalties), added["penalty"]),
    }


def _counts(read: int, added: int) -> dict[str, int]:
    """Counts in the shape of :data:`gis.sample.load.LoadCounts` (nothing is ever updated)."""
    return {"read": read, "added": added, "updated": 0, "removed": 0}


def _principal(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.operator_id)


def _load_users(session: Session, rows: list[dict]) -> dict:
    by_name: dict[str, User] = {}
    added = 0
    for row in rows:
        user = session.scalar(select(User).where(User.username == row["username"]))
        if user is None:
            user = create_user(session, row["username"], row["full_name"], Role(row["role"]),
                               row["operator"] or None)
            added += 1
        by_name[user.username] = user
    return {"rows": rows, "added": added, "by_name": by_name}


def _load_campaigns(session: Session, rows: list[dict], users: dict) -> dict:
    admin = next(u for u in users["by_name"].values() if u.role == Role.ADMIN)
    ids: dict[str, int] = {}
    added = 0
    for row in rows:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == row["code"]))
        if campaign_id is None:
            campaign_id = create_campaign(session, _principal(admin), CampaignInput(
                code=row["code"], name=row["name"], legal_basis=row["legal_basis"],
                starts_on=date.fromisoformat(row["starts_on"]),
                ends_on=date.fromisoformat(row["ends_on"]),
                communes=tuple(filter(None, row["communes"].split(";"))),
                operators=tuple(filter(None, row["operators"].split(";"))),
                inspectors=tuple(filter(None, row["inspectors"].split(";"))),
            )).id
            added += 1
        ids[row["code"]] = campaign_id
    return {"rows": rows, "added": added, "ids": ids}


def _visit(session: Session, row: dict, users: dict, campaigns: dict, segment_ids: dict,
           settings: Settings) -> int:
    inspector = users["by_name"][row["inspector"]]
    set_actor(session, f"user:{inspector.username}")
    outcome = record_visit(session, _principal(inspector), VisitInput(
        idempotency_key=uuid.UUID(row["key"]),
        visited_at=datetime.fromisoformat(row["visited_at"]),
        results=tuple(
            ResultInput(
                item=r["item"], result=ItemResult(r["result"]),
                measured_value=Decimal(r["measured_value"]) if r.get("measured_value") else None,
            )
            for r in row["results"]
        ),
        segment_id=segment_ids[row["segment"]],
        lon=row["lon"], lat=row["lat"], accuracy_m=row["accuracy_m"],
        campaign_id=campaigns["ids"][row["campaign"]] if row["campaign"] else None,
        note=row["note"],
    ), settings)
    return 0 if outcome.replayed else 1


def _violation(session: Session, ref: str) -> Violation | None:
    """The violation ``<visit key>:<item code>`` (opened by that visit for that item)."""
    key, code = ref.rsplit(":", 1)
    return session.scalar(
        select(Violation)
        .join(Inspection, Inspection.id == Violation.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == Violation.item_id)
        .where(Inspection.idempotency_key == uuid.UUID(key), ChecklistItem.code == code)
    )


def _report(session: Session, row: dict, users: dict) -> int:
    violation = _violation(session, row["violation"])
    if violation is None or violation.state != ViolationState.OPEN:
        return 0
    user = users["by_name"][row["reported_by"]]
    set_actor(session, f"user:{user.username}")
    report_remediation(session, violation_id=violation.id, user_id=user.id, note=row["note"],
                       reported_at=datetime.fromisoformat(row["reported_at"]))
    return 1


def _penalty(session: Session, row: dict) -> int:
    if session.scalar(select(PenaltyDecision.id).where(PenaltyDecision.number == row["number"])):
        return 0
    ids = []
    for ref in filter(None, row["violations"].split(";")):
        violation = _violation(session, ref)
        if violation is not None:
            ids.append(violation.id)
    set_actor(session, f"user:{ADMIN[0]}")
    record_decision(
        session, number=row["number"], decided_on=date.fromisoformat(row["decided_on"]),
        operator_code=row["operator"], decree=row["decree"], article=row["article"],
        clause=row["clause"] or None, amount_vnd=int(row["amount_vnd"]), violation_ids=ids,
        note=row["note"] or None,
    )
    return 1
