"""Domain errors. They carry no HTTP knowledge; the API maps them to status codes in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldIssue:
    """One bad input value: which ``field`` (a path in the function's input, such as
    ``results[2].item`` or ``violation_ids[1]``) and why. The API places it in the request
    (``body.results[2].item``)."""

    field: str
    reason: str


class GisError(Exception):
    """Base class of every error this package raises on purpose."""


class DatabaseUnavailableError(GisError):
    """The database cannot be reached or lacks PostGIS."""


class NotFoundError(GisError):
    """A requested object does not exist."""


class ConflictError(GisError):
    """The request contradicts the stored state (a duplicate, or a change no longer allowed)."""


class CRSError(GisError):
    """A coordinate reference system is missing, unknown or unusable."""


class MappingError(GisError):
    """An attribute-mapping file is malformed."""


class ImportFileError(GisError):
    """A file cannot be read as a cable layer (format, layer, encoding)."""


class ValidationFailed(GisError):
    """Rows failed validation; nothing was written. ``problems`` lists every bad row."""

    def __init__(self, message: str, problems: list) -> None:
        super().__init__(message)
        self.problems = problems


def invalid(field: str, reason: str) -> ValidationFailed:
    """A :class:`ValidationFailed` about one ``field``; ``reason`` is its message."""
    return ValidationFailed(reason, [FieldIssue(field, reason)])


def invalid_fields(issues: Sequence[FieldIssue]) -> ValidationFailed:
    """A :class:`ValidationFailed` naming each bad field (message ``field: reason; ...``)."""
    summary = "; ".join(f"{issue.field}: {issue.reason}" for issue in issues)
    return ValidationFailed(summary, list(issues))
