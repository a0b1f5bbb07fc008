"""Turning the cells of a file's column into clean text, and looking values up, column-wise.

Files come with columns of every type (text, integers, floats from shapefiles, booleans, dates).
The importer reads every field as text first, with missing cells (empty, blank, NaN, NULL) as
None, then translates the distinct values once each: a column of a million rows usually has a
handful of distinct values, so lookups stay fast without a Python loop over rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

T = TypeVar("T")

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Case-folded, NFC-normalised text with runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def slug(text: str) -> str:
    """``normalise(text)`` without accents, and with anything but letters/digits as ``_``.

    ``"Hình thức"`` -> ``"hinh_thuc"``, ``"Đường"`` -> ``"duong"``.
    """
    decomposed = unicodedata.normalize("NFD", normalise(text).replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub("_", bare).strip("_")


def as_text(column: pd.Series) -> np.ndarray:
    """Return the column as an object array of stripped ``str``, None where the cell is missing.

    Integral floats print without ``.0`` (shapefiles store integers as floats), booleans as
    ``true``/``false``, dates as ``YYYY-MM-DD`` (with the time only when it is not midnight).
    """
    n = len(column)
    out = np.full(n, None, dtype=object)
    present = column.notna().to_numpy()
    if not present.any():
        return out
    values = column[present]
    if ptypes.is_bool_dtype(values.dtype):
        text = np.where(values.to_numpy(dtype=bool), "true", "false").astype(object)
    elif ptypes.is_integer_dtype(values.dtype):
        text = values.astype("int64").astype(str).to_numpy(dtype=object)
    elif ptypes.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64")
        integral = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
        text = values.astype(str).to_numpy(dtype=object)
        text[integral] = numbers[integral].astype("int64").astype(str)
    elif ptypes.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        midnight = (stamps.dt.normalize() == stamps).to_numpy()
        text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
        text[midnight] = stamps[midnight].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    elif values.dtype == object:
        # Python objects (text holding bytes that were not UTF-8, as lone surrogates, which
        # pandas' Arrow-backed ``str`` cannot take): converted one by one.
        text = np.array([str(value).strip() for value in values], dtype=object)
    else:
        text = values.astype(str).str.strip().to_numpy(dtype=object)
    text = np.where(text == "", None, text)
    out[present] = text
    return out


def lookup_distinct(
    texts: np.ndarray, lookup: Callable[[str], T | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``lookup`` to each distinct non-missing text once; return (values, unknown mask).

    ``values`` is an object array with None where the text was missing or unknown; ``unknown``
    is True where a text was present but ``lookup`` returned None.
    """
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    found = np.empty(len(uniques), dtype=object)
    for i, text in enumerate(uniques):
        found[i] = lookup(text)
    values = np.full(len(texts), None, dtype=object)
    present = codes >= 0
    values[present] = found[codes[present]]
    unknown = present & np.equal(values, None)
    return values, unknown


def first_occurrence(keys: np.ndarray) -> np.ndarray:
    """For each position, the position where its key first occurs (-1 where the key is None)."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    present = np.flatnonzero(codes >= 0)
    firsts = np.full(len(uniques), -1, dtype=np.int64)
    seen, first_index = np.unique(codes[present], return_index=True)
    firsts[seen] = present[first_index]
    result = np.full(len(keys), -1, dtype=np.int64)
    result[present] = firsts[codes[present]]
    return result


#: Day-first formats accepted besides ISO 8601 (Vietnamese documents write dates day first).
DAY_FIRST_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(text: str) -> date | None:
    """Read ``YYYY-MM-DD`` (optionally with a time) or ``DD/MM/YYYY``; None if it is neither."""
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for pattern in DAY_FIRST_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
