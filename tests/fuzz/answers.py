"""Tally of the fuzz run's answers, printed at the end of the run (tests/fuzz/conftest.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Answers:
    """The fuzz run's answers: status classes by caller, and the operations that answered
    some caller with success."""

    classes: Counter = field(default_factory=Counter)
    succeeded: set[tuple[str, str]] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)

    def note(self, caller: str, operation: str, status: int) -> None:
        self.classes[caller, f"{status // 100}xx"] += 1
        self.operations.add(operation)
        if 200 <= status < 300:
            self.succeeded.add((caller, operation))

    def summary(self) -> list[str]:
        callers = sorted({caller for caller, _ in self.classes})
        lines = []
        for caller in callers:
            counts = ", ".join(f"{n} {k}" for (c, k), n in sorted(self.classes.items())
                               if c == caller)
            ok = sum(1 for c, _ in self.succeeded if c == caller)
            lines.append(f"{caller}: {counts}; {ok} of {len(self.operations)} operations"
                         " answered with success")
        never = sorted(self.operations - {operation for _, operation in self.succeeded})
        if never:
            lines.append(f"no success for any caller: {', '.join(never)}")
        return lines


#: Filled by tests/fuzz/test_openapi_fuzz.py, printed at the end of the run.
ANSWERS = Answers()
