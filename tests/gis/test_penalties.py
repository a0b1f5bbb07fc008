"""Legal provisions as data (the bundled file, citation matching, dates in force) and the
checks of recording a penalty decision."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from gis.compliance.penalties import (
    DecisionFilter,
    DuplicateDecisionError,
    ProvisionsError,
    list_decisions,
    load_provisions,
    normalise_decree,
    parse_provisions,
    provision_for,
    record_decision,
)
from gis.errors import ValidationFailed
from gis.models import CableSegment
from tests.compliance_data import local, make_violation, make_visit
from tests.factories import make_operator, make_segment, make_user


def test_bundled_provisions_have_sources_and_the_amended_range():
    """Art. 40(3) of Nghị định 15/2020 as amended by 14/2022: 50-70 million VND, sourced."""
    provisions = load_provisions()
    amended = provision_for("15/2020/NĐ-CP", "40", "3", date(2024, 1, 1))
    assert amended is not None
    assert (amended.min_vnd, amended.max_vnd) == (50_000_000, 70_000_000)
    assert amended.amended_by.startswith("Nghị định 14/2022/NĐ-CP")
    assert any(s.startswith("S11 https://thanhphohaiphong.gov.vn/") for s in amended.sources)
    assert all(p.sources for p in provisions)
    unsourced = [p for p in provisions if not p.has_range]
    assert unsourced and all("UNSOURCED" in (p.note or "") for p in unsourced)


@pytest.mark.parametrize(
    ("decree", "article", "clause"),
    [
        ("15/2020/NĐ-CP", "40", "3"),
        ("Nghị định số 15/2020/ND-CP", "Điều 40", "khoản 3"),
        ("15 / 2020 / nđ-cp", "Art. 40", "(3)"),
    ],
)
def test_citations_match_loosely(decree, article, clause):
    """Spelling variants of the same citation find the same provision."""
    found = provision_for(decree, article, clause, date(2023, 6, 1))
    assert found is not None and found.key == "ND15-2020/D40/K3/2022"


def test_wording_in_force_on_the_decision_date():
    """Before the 2022 amendment the clause's range is unsourced; other clauses unknown."""
    before = provision_for("15/2020/NĐ-CP", "40", "3", date(2021, 6, 1))
    assert before is not None and not before.has_range
    assert provision_for("15/2020/NĐ-CP", "40", "3", date(2019, 6, 1)) is None
    assert provision_for("15/2020/NĐ-CP", "41", "3", date(2023, 6, 1)) is None
    assert provision_for("15/2020/NĐ-CP", "40", None, date(2023, 6, 1)) is None
    old = provision_for("174/2013/NĐ-CP", "38", "1", date(2018, 1, 1))
    assert old is not None and (old.min_vnd, old.max_vnd) == (5_000_000, 10_000_000)


def test_normalise_decree():
    """Decree numbers come out as ``n/yyyy/NĐ-CP``."""
    assert normalise_decree("Nghị định 014/2022/nd-cp") == "14/2022/NĐ-CP"
    assert normalise_decree("Thông tư  20/2019/TT-BTTTT") == "THÔNG TƯ 20/2019/TT-BTTTT"


@pytest.mark.parametrize(
    "content",
    [
        b"not toml [",
        b"[[provisions]]\nkey='a'\ndecree='1'\narticle='1'\ntitle_vi='a'\ntitle_en='a'\n"
        b"min_vnd=5\n",
        b"[[provisions]]\nkey='a'\ndecree='1'\narticle='1'\ntitle_vi='a'\ntitle_en='a'\n"
        b"sources=['S9']\n",
        b"[[provisions]]\nkey='a'\ndecree='1'\narticle='1'\ntitle_vi='a'\ntitle_en='a'\n"
        b"min_vnd=9\nmax_vnd=5\n",
    ],
)
def test_malformed_provisions_are_refused(content):
    """Bad TOML, half a range, an unknown source, an inverted range: ProvisionsError."""
    with pytest.raises(ProvisionsError):
        parse_provisions(content)


@pytest.fixture
def decision_world(session):
    """VNPT with a violation found on 1 March 2024, and Viettel with one."""
    vnpt, viettel = make_operator(session, "VNPT"), make_operator(session, "VIETTEL")
    inspector, _ = make_user(session, "inspector")
    a = make_segment(session, vnpt)
    b = make_segment(session, viettel, [(106.33, 20.46), (106.34, 20.46)])
    mine = make_violation(session, make_visit(session, a, inspector, local(2024, 3, 1)))
    other = make_violation(session, make_visit(session, b, inspector, local(2024, 3, 1)))
    return mine, other


def _decide(session, **kw):
    args = dict(number="1/QĐ-XPHC", decided_on=date(2024, 5, 1), operator_code="vnpt",
                decree="15/2020/NĐ-CP", article="40", clause="3", amount_vnd=60_000_000,
                violation_ids=[], note=None, today=date(2024, 6, 1))
    args.update(kw)
    return record_decision(session, **args)


def test_record_decision_links_violations(session, decision_world):
    """A valid decision is stored with its violations."""
    mine, _ = decision_world
    decision = _decide(session, violation_ids=[mine.id])
    assert decision.operator_id == mine.operator_id
    assert [v.id for v in decision.violations] == [mine.id]


def test_every_bad_field_is_reported_at_once(session, decision_world):
    """Future date, range, other operator's / missing / repeated / later violations: one error
    listing each field."""
    mine, other = decision_world
    with pytest.raises(ValidationFailed) as caught:
        _decide(session, decided_on=date(2024, 7, 1), amount_vnd=80_000_000,
                violation_ids=[mine.id, other.id, 987654321, mine.id])
    fields = {p.field: p.reason for p in caught.value.problems}
    assert set(fields) == {"decided_on", "amount_vnd", "violation_ids[1]", "violation_ids[2]",
                           "violation_ids[3]"}
    assert "50,000,000–70,000,000 VND" in fields["amount_vnd"]
    with pytest.raises(ValidationFailed) as caught:
        _decide(session, decided_on=date(2024, 2, 1), violation_ids=[mine.id])
    assert [p.field for p in caught.value.problems] == ["violation_ids[0]"]
    assert "found after the decision date" in caught.value.problems[0].reason


def test_unknown_operator_and_duplicate_number(session, decision_world):
    """An unknown operator is a field problem; a number already used is a conflict."""
    with pytest.raises(ValidationFailed) as caught:
        _decide(session, operator_code="MOBIFONE")
    assert [p.field for p in caught.value.problems] == ["operator"]
    _decide(session)
    with pytest.raises(DuplicateDecisionError):
        _decide(session, number=" 1/QĐ-XPHC ")



def test_withdrawn_violation_cannot_be_penalised(session, decision_world):
    """A finding withdrawn by a correction on or before the decision date is refused, naming
    the field; one withdrawn only after the decision date may still be cited."""
    mine, _ = decision_world
    inspector, _ = make_user(session, "inspector", username="second-inspector")
    segment = session.get(CableSegment, mine.segment_id)
    visit = make_visit(session, segment, inspector, local(2024, 3, 1))
    early = make_violation(session, visit, "C2", closed_at=local(2024, 3, 2), withdrawn=True)
    late = make_violation(session, visit, "C3", closed_at=local(2024, 5, 2), withdrawn=True)
    with pytest.raises(ValidationFailed) as caught:
        _decide(session, violation_ids=[mine.id, early.id])
    (problem,) = caught.value.problems
    assert problem.field == "violation_ids[1]"
    assert "withdrawn by a correction on 2024-03-02" in problem.reason
    decision = _decide(session, violation_ids=[late.id])
    assert [v.id for v in decision.violations] == [late.id]


def test_listing_loads_the_violations_of_a_page_at_once(session, decision_world, connection):
    """Listing decisions fetches their linked violations in one query, not one per decision."""
    mine, _ = decision_world
    for n in range(4):
        _decide(session, number=f"{n}/QĐ-XPHC", violation_ids=[mine.id])
    session.expire_all()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        decisions, _ = list_decisions(session, DecisionFilter())
        assert [[v.id for v in d.violations] for d in decisions] == [[mine.id]] * 4
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(statements) == 2, statements
