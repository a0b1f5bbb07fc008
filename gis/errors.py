"""Domain errors. They carry no HTTP knowledge; the API maps them to status codes in one place."""

from __future__ import annotations


class GisError(Exception):
    """Base class of every error this package raises on purpose."""


class DatabaseUnavailableError(GisError):
    """The database cannot be reached or lacks PostGIS."""


class NotFoundError(GisError):
    """A requested object does not exist."""


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
