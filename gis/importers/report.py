"""What an import found and did: per-row problems and the final report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Most characters of a problem's text (reason, source_fid) shown: a 100 KB cell is cut in
#: the middle, keeping both ends (the value's start and the reason's advice).
SHOWN_TEXT_MAX = 300


def shown(text: str | None, limit: int = SHOWN_TEXT_MAX) -> str | None:
    """``text`` as a problem shows it: printable as UTF-8 (bytes that were not UTF-8 in the
    file, read as lone surrogates, are spelled ``\\udcff``) and cut in the middle to about
    ``limit`` characters, saying how many were left out."""
    if text is None:
        return None
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]}…[{len(text) - head - tail:,} characters left out]…{text[-tail:]}"


@dataclass(frozen=True)
class RowProblem:
    """One reason a row cannot be imported.

    ``row`` is the number a user sees: the feature's position in its layer (first = 1), or for
    CSV the line number counting the header as line 1.
    """

    row: int
    source_fid: str | None
    field: str
    reason: str


@dataclass
class ImportReport:
    """Counts of one import. ``skipped`` lists the problems of rows left out (skip_invalid)."""

    source: str
    file_name: str
    source_crs: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    skipped: list[RowProblem]
    dry_run: bool
    seconds: float
    transformation: str = ""

    @property
    def skipped_rows(self) -> int:
        """Number of distinct rows left out."""
        return len({p.row for p in self.skipped})

    @property
    def segments_per_second(self) -> float:
        """Rows read per second of wall time, end to end."""
        return self.rows_read / self.seconds if self.seconds > 0 else float("inf")


class ProblemLog:
    """Collects row problems from vectorised checks over ``n`` rows.

    Each check passes a boolean mask over all rows and either one reason for every flagged row
    or an array of reasons aligned with the flagged rows (``np.flatnonzero(mask)``).
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self._found: list[tuple[np.ndarray, str, np.ndarray]] = []

    def add(self, mask: np.ndarray, field: str, reasons: str | np.ndarray | list[str]) -> None:
        """Record ``reasons`` for ``field`` on the rows where ``mask`` is True."""
        index = np.flatnonzero(mask)
        if index.size == 0:
            return
        if isinstance(reasons, str):
            texts = np.full(index.size, reasons, dtype=object)
        else:
            texts = np.asarray(reasons, dtype=object)
            if texts.shape != index.shape:
                raise ValueError(f"{texts.size} reasons for {index.size} flagged rows")
        self.bad[index] = True
        self._found.append((index, field, texts))

    def problems(self, row_numbers: np.ndarray, source_fids: np.ndarray) -> list[RowProblem]:
        """Every problem as a RowProblem, sorted by row, in the order the checks ran."""
        if not self._found:
            return []
        index = np.concatenate([i for i, _, _ in self._found])
        check = np.concatenate([np.full(i.size, k) for k, (i, _, _) in enumerate(self._found)])
        order = np.lexsort((check, index))
        fields = [f for _, f, _ in self._found]
        texts = np.concatenate([t for _, _, t in self._found])
        return [
            RowProblem(
                row=int(row_numbers[index[k]]),
                source_fid=shown(source_fids[index[k]]),
                field=fields[check[k]],
                reason=shown(str(texts[k])),
            )
            for k in order
        ]
