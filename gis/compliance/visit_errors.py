"""Why a visit (or its photo) cannot be recorded, with the input field at fault.

Field paths name the fields of :class:`gis.compliance.visits.VisitInput`
(``results[3].item``, ``lon``, ``corrects_id`` ...); the API translates them to its own body
paths. No HTTP here: the API maps each class to a status code.
"""

from __future__ import annotations

from gis.errors import ConflictError, FieldIssue, GisError, NotFoundError, ValidationFailed


def text_issues(texts: dict[str, str | None]) -> list[FieldIssue]:
    """Issues for texts PostgreSQL cannot store (a NUL character), keyed by field path."""
    return [FieldIssue(field, "text may not contain NUL (\\u0000) characters")
            for field, value in texts.items() if value is not None and "\x00" in value]


class InvalidVisitError(ValidationFailed):
    """The visit's input is invalid; ``problems`` lists every :class:`FieldIssue` found."""

    def __init__(self, message: str, problems: list[FieldIssue]) -> None:
        super().__init__(message, problems)

    @classmethod
    def one(cls, field: str, reason: str) -> InvalidVisitError:
        """An error about a single field."""
        return cls(reason, [FieldIssue(field, reason)])

    @classmethod
    def many(cls, issues: list[FieldIssue], what: str = "the visit") -> InvalidVisitError:
        """An error listing ``issues`` (its message names each field and reason)."""
        if len(issues) == 1:
            return cls(issues[0].reason, issues)
        listed = "; ".join(f"{i.field}: {i.reason}" for i in issues)
        return cls(f"{len(issues)} problems with {what}: {listed}", issues)


class AmbiguousPositionError(InvalidVisitError):
    """A GPS position is about as close to two or more segments (``candidates``: id, metres)."""

    def __init__(self, message: str, problems: list[FieldIssue],
                 candidates: list[tuple[int, float]]) -> None:
        super().__init__(message, problems)
        self.candidates = candidates


class ReferenceNotFoundError(NotFoundError):
    """An object the input refers to (segment, campaign, corrected visit) does not exist."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class VisitConflictError(ConflictError):
    """The input conflicts with what is recorded (an idempotency key used for another body,
    a visit already corrected, a photo slot holding other bytes)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PhotoTooLargeError(GisError):
    """A photo is over the byte limit, or its pixel count is a decompression bomb."""


class UnsupportedPhotoError(GisError):
    """The uploaded bytes are not a JPEG, PNG or WebP image (checked by content)."""
