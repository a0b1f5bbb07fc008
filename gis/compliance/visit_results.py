"""Check a visit's checklist results against the catalogue version that applies.

The results must cover every item applicable to the segment's placement exactly once; a
measured value (in the item's ``measure_unit``) must agree with the result when the item has a
limit. Every problem is reported with its field path (``results[3].item``), all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from gis.choices import ItemResult
from gis.compliance.catalogue import CatalogueItem, CatalogueVersion, items_for
from gis.compliance.visit_errors import FieldIssue
from gis.models import ChecklistItem, ChecklistVersion

#: A checklist item, as the ORM loads it or as the catalogue cache keeps it.
Item = ChecklistItem | CatalogueItem


class ResultLike(Protocol):
    """What is needed of one result (see :class:`gis.compliance.visits.ResultInput`)."""

    item: str
    result: ItemResult
    measured_value: Decimal | None


def _limit_issue(index: int, item: Item, result: ResultLike) -> FieldIssue | None:
    """A problem when the measured value contradicts the result, given the item's limit."""
    value = result.measured_value
    if value is None or item.limit_kind is None or item.limit_value is None:
        return None
    if result.result is ItemResult.NOT_CHECKED:
        return None
    limit = Decimal(item.limit_value)
    within = value <= limit if item.limit_kind == "max" else value >= limit
    bound = "at most" if item.limit_kind == "max" else "at least"
    unit = item.measure_unit or ""
    if result.result is ItemResult.PASS and not within:
        return FieldIssue(
            f"results[{index}].result",
            f"{item.code}: 'pass' contradicts the measured {value} {unit}; the limit is "
            f"{bound} {limit} {unit}",
        )
    if result.result is ItemResult.FAIL and within:
        return FieldIssue(
            f"results[{index}].result",
            f"{item.code}: 'fail' contradicts the measured {value} {unit}, which is within the "
            f"limit ({bound} {limit} {unit})",
        )
    return None


def check_results(
    version: ChecklistVersion | CatalogueVersion, placement: str, results: Sequence[ResultLike]
) -> tuple[list[FieldIssue], list[tuple[Item, ResultLike]]]:
    """Match ``results`` to the items of ``version`` applicable to ``placement``.

    Returns ``(issues, matched)``: ``matched`` pairs each item with its result, in the order
    given; ``issues`` is empty when the results are complete and consistent.
    """
    by_code = {item.code: item for item in version.items}
    applicable = {item.code for item in items_for(version, placement)}
    issues: list[FieldIssue] = []
    matched: list[tuple[Item, ResultLike]] = []
    first_at: dict[str, int] = {}
    for index, result in enumerate(results):
        code = result.item
        item = by_code.get(code)
        if item is None:
            issues.append(FieldIssue(
                f"results[{index}].item",
                f"unknown checklist item {code!r} in version {version.code} "
                f"(items: {', '.join(by_code)})",
            ))
            continue
        if code not in applicable:
            issues.append(FieldIssue(
                f"results[{index}].item",
                f"{code} does not apply to {placement} segments "
                f"(it applies to {', '.join(item.placements)})",
            ))
            continue
        if code in first_at:
            issues.append(FieldIssue(
                f"results[{index}].item",
                f"{code} is given twice (first at results[{first_at[code]}])",
            ))
            continue
        first_at[code] = index
        if result.measured_value is not None:
            if item.measure_unit is None:
                issues.append(FieldIssue(
                    f"results[{index}].measured_value",
                    f"{code} has nothing to measure; leave measured_value out",
                ))
                continue
            if result.result is ItemResult.NOT_CHECKED:
                issues.append(FieldIssue(
                    f"results[{index}].measured_value",
                    f"{code} was not checked, so it has no measured value",
                ))
                continue
        limit_issue = _limit_issue(index, item, result)
        if limit_issue is not None:
            issues.append(limit_issue)
            continue
        matched.append((item, result))
    for code in sorted(applicable - set(first_at), key=lambda c: by_code[c].position):
        issues.append(FieldIssue(
            "results",
            f"no result for {code} ({by_code[code].text_en}); every item that applies to "
            f"{placement} segments needs one (pass, fail or not_checked)",
        ))
    return issues, matched

