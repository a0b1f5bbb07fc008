"""Penalty decisions (quyết định xử phạt) against operators, and the legal provisions they cite.

Provisions are data (``gis/compliance/data/provisions.toml``), each with its sources. When a
decision cites a provision whose fine range is known and in force on the decision date, its
amount must lie in that range; provisions whose range is unsourced are not range-checked.
Amounts are whole VND; dates are local calendar dates in Vietnam.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session, selectinload

from gis.choices import ViolationState
from gis.compliance.rules import local_date, local_today, violation_state
from gis.compliance.violations import violation_facts
from gis.errors import ConflictError, FieldIssue, GisError, NotFoundError, invalid_fields
from gis.models import Operator, PenaltyDecision, Violation, penalty_violations

BUNDLED = "provisions.toml"


class ProvisionsError(GisError):
    """The provisions file is malformed."""


class DuplicateDecisionError(ConflictError):
    """A decision with this number is already recorded (HTTP 409)."""


class Provision(BaseModel):
    """A legal provision (decree, article, clause) with its fine range when sourced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    decree: str = Field(min_length=1)
    article: str = Field(min_length=1)
    clause: str | None = None
    amended_by: str | None = None
    in_force_from: date | None = None
    in_force_to: date | None = None
    min_vnd: int | None = Field(default=None, gt=0)
    max_vnd: int | None = Field(default=None, gt=0)
    sources: list[str] = []
    title_vi: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _range_complete(self) -> Provision:
        if (self.min_vnd is None) != (self.max_vnd is None):
            raise ValueError("min_vnd and max_vnd go together")
        if self.min_vnd is not None and self.min_vnd > self.max_vnd:
            raise ValueError("min_vnd is above max_vnd")
        if self.in_force_from and self.in_force_to and self.in_force_from > self.in_force_to:
            raise ValueError("in_force_from is after in_force_to")
        return self

    @property
    def has_range(self) -> bool:
        """True when the fine range is sourced, so amounts are checked against it."""
        return self.min_vnd is not None

    def citation(self) -> str:
        """How the provision is cited in Vietnamese (``Nghị định …, Điều …, khoản …``)."""
        text = f"Nghị định {self.decree}, Điều {self.article}"
        if self.clause:
            text += f" khoản {self.clause}"
        if self.amended_by:
            text += f" (sửa đổi bởi {self.amended_by})"
        return text

    def in_force_on(self, on: date) -> bool:
        """True when the provision (in this wording) applies on ``on``."""
        return (self.in_force_from is None or self.in_force_from <= on) and (
            self.in_force_to is None or on <= self.in_force_to
        )


class _ProvisionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: dict[str, str] = {}
    provisions: list[Provision] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_sources(self) -> _ProvisionsFile:
        unknown = sorted({s for p in self.provisions for s in p.sources} - set(self.sources))
        if unknown:
            raise ValueError(f"provisions cite sources missing from [sources]: {unknown}")
        keys = [p.key for p in self.provisions]
        if len(set(keys)) != len(keys):
            raise ValueError("provision keys repeat")
        return self


def bundled_path() -> Path:
    """Path of the bundled provisions file."""
    return Path(str(resources.files("gis.compliance") / "data" / BUNDLED))


def parse_provisions(content: bytes, name: str = BUNDLED) -> tuple[Provision, ...]:
    """Parse provisions TOML; each provision's sources become ``"S11 <url>"``."""
    try:
        spec = _ProvisionsFile.model_validate(tomllib.loads(content.decode("utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProvisionsError(f"{name}: {exc}") from exc
    return tuple(
        p.model_copy(update={"sources": [f"{s} {spec.sources[s]}" for s in p.sources]})
        for p in spec.provisions
    )


@lru_cache
def load_provisions(path: Path | None = None) -> tuple[Provision, ...]:
    """The provisions in ``path`` (default: the bundled file), read once."""
    path = path or bundled_path()
    return parse_provisions(path.read_bytes(), path.name)


def _number(text: str | None) -> str | None:
    """The first number in ``text`` ("Điều 40" -> "40"), else the stripped text."""
    if text is None or not text.strip():
        return None
    match = re.search(r"\d+[a-zđ]?", text.strip().lower())
    return match.group(0) if match else text.strip().lower()


def normalise_decree(decree: str) -> str:
    """``"Nghị định số 15/2020/ND-CP"`` -> ``"15/2020/NĐ-CP"`` (unknown shapes: upper-cased)."""
    match = re.search(r"(\d+)\s*/\s*(\d{4})\s*/\s*N[ĐD]\s*-\s*CP", decree.upper())
    if match:
        return f"{int(match.group(1))}/{match.group(2)}/NĐ-CP"
    return " ".join(decree.upper().split())


def provision_for(
    decree: str, article: str, clause: str | None, on: date,
    provisions: tuple[Provision, ...] | None = None,
) -> Provision | None:
    """The known provision that a citation names, in its wording in force on ``on``."""
    wanted = (normalise_decree(decree), _number(article), _number(clause))
    for provision in provisions if provisions is not None else load_provisions():
        cited = (normalise_decree(provision.decree), _number(provision.article),
                 _number(provision.clause))
        if cited == wanted and provision.in_force_on(on):
            return provision
    return None


@dataclass(frozen=True)
class DecisionFilter:
    """Which decisions to list: operator code, year of the decision; pages ordered by id."""

    operator_code: str | None = None
    year: int | None = None
    after: int | None = None
    limit: int = 100


def _check_violations(
    session: Session, violation_ids: list[int], operator: Operator, decided_on: date
) -> list[FieldIssue]:
    found = {
        v.id: v for v in session.scalars(select(Violation).where(Violation.id.in_(violation_ids)))
    }
    issues: list[FieldIssue] = []
    seen: set[int] = set()
    for index, violation_id in enumerate(violation_ids):
        field = f"violation_ids[{index}]"
        violation = found.get(violation_id)
        if violation_id in seen:
            issues.append(FieldIssue(field, f"violation {violation_id} is listed twice"))
        elif violation is None:
            issues.append(FieldIssue(field, f"violation {violation_id} does not exist"))
        elif violation.operator_id != operator.id:
            issues.append(FieldIssue(
                field, f"violation {violation_id} belongs to another operator than {operator.code}"
            ))
        elif local_date(violation.found_at) > decided_on:
            issues.append(FieldIssue(
                field, f"violation {violation_id} was found after the decision date "
                f"({local_date(violation.found_at).isoformat()})",
            ))
        elif violation_state(violation_facts(violation), decided_on) is ViolationState.WITHDRAWN:
            issues.append(FieldIssue(
                field, f"violation {violation_id} was withdrawn by a correction on "
                f"{local_date(violation.closed_at).isoformat()}, before the decision date; "
                "a withdrawn finding cannot be penalised",
            ))
        seen.add(violation_id)
    return issues


def record_decision(
    session: Session,
    *,
    number: str,
    decided_on: date,
    operator_code: str,
    decree: str,
    article: str,
    clause: str | None,
    amount_vnd: int,
    violation_ids: list[int],
    note: str | None = None,
    today: date | None = None,
) -> PenaltyDecision:
    """Record a penalty decision against an operator and link the violations it punishes.

    Checks, each reported with the field at fault (ValidationFailed): the date is not in the
    future; the operator exists; the amount lies within the cited provision's range when that
    range is known; each violation exists, belongs to the operator and was found by the
    decision date, and had not been withdrawn by a correction by then. A number already used
    raises DuplicateDecisionError.
    """
    number = number.strip()
    if session.scalar(select(PenaltyDecision.id).where(PenaltyDecision.number == number)):
        raise DuplicateDecisionError(f"penalty decision {number!r} is already recorded")
    issues: list[FieldIssue] = []
    if decided_on > (today or local_today()):
        issues.append(FieldIssue("decided_on", "is in the future"))
    operator = session.scalar(
        select(Operator).where(func.upper(Operator.code) == operator_code.strip().upper())
    )
    if operator is None:
        issues.append(FieldIssue("operator", f"unknown operator {operator_code!r}"))
    provision = provision_for(decree, article, clause, decided_on)
    if provision is not None and provision.has_range and not (
        provision.min_vnd <= amount_vnd <= provision.max_vnd
    ):
        issues.append(FieldIssue(
            "amount_vnd",
            f"{amount_vnd:,} VND is outside the range {provision.min_vnd:,}–"
            f"{provision.max_vnd:,} VND of {provision.citation()}",
        ))
    if operator is not None and violation_ids:
        issues += _check_violations(session, violation_ids, operator, decided_on)
    if issues:
        raise invalid_fields(issues)
    decision = PenaltyDecision(
        number=number, decided_on=decided_on, operator_id=operator.id,
        decree=decree.strip(), article=article.strip(),
        clause=clause.strip() if clause and clause.strip() else None,
        amount_vnd=amount_vnd, note=note,
    )
    session.add(decision)
    session.flush()
    if violation_ids:
        session.execute(
            penalty_violations.insert(),
            [{"decision_id": decision.id, "violation_id": v} for v in violation_ids],
        )
        session.expire(decision, ["violations"])
    return decision


def get_decision(session: Session, decision_id: int) -> PenaltyDecision:
    """A decision visible to the session (an operator sees only its own), or NotFoundError."""
    decision = session.get(PenaltyDecision, decision_id)
    if decision is None:
        raise NotFoundError(f"penalty decision {decision_id} does not exist")
    return decision


def list_decisions(
    session: Session, flt: DecisionFilter
) -> tuple[list[PenaltyDecision], int | None]:
    """One page of decisions visible to the session; returns ``(decisions, next_after)``."""
    stmt = (select(PenaltyDecision).options(selectinload(PenaltyDecision.violations))
            .order_by(PenaltyDecision.id).limit(flt.limit + 1))
    if flt.operator_code:
        stmt = stmt.join(Operator, Operator.id == PenaltyDecision.operator_id).where(
            Operator.code == flt.operator_code.strip().upper()
        )
    if flt.year is not None:
        stmt = stmt.where(extract("year", PenaltyDecision.decided_on) == flt.year)
    if flt.after is not None:
        stmt = stmt.where(PenaltyDecision.id > flt.after)
    decisions = list(session.scalars(stmt))
    if len(decisions) > flt.limit:
        decisions = decisions[: flt.limit]
        return decisions, decisions[-1].id
    return decisions, None


def operator_codes(session: Session, operator_ids: set[int]) -> dict[int, str]:
    """Operator codes by id (for rendering decisions and reports)."""
    if not operator_ids:
        return {}
    rows = session.execute(select(Operator.id, Operator.code).where(Operator.id.in_(operator_ids)))
    return {operator_id: code for operator_id, code in rows}
