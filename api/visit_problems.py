"""Problems for the errors of recording visits, photos and campaigns, with the field path of
the request (``body.position.lon``, ``header.Idempotency-Key``, ``path.slot``).

The gis layer names the fields of its own inputs (:class:`gis.compliance.visits.VisitInput`);
this module translates them to where they sit in the HTTP request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from api.problems import FieldProblem, ProblemError
from gis.compliance.visit_errors import (
    AmbiguousPositionError,
    InvalidVisitError,
    PhotoTooLargeError,
    ReferenceNotFoundError,
    UnsupportedPhotoError,
    VisitConflictError,
)

#: VisitInput field -> place in the POST /inspections request.
VISIT_FIELDS = {
    "position": "body.position",
    "lon": "body.position.lon",
    "lat": "body.position.lat",
    "accuracy_m": "body.position.accuracy_m",
    "photos_expected": "body.photos",
    "corrects_id": "body.corrects.inspection_id",
    "correction_reason": "body.corrects.reason",
    "idempotency_key": "header.Idempotency-Key",
}
#: store_photo's fields -> place in the PUT /inspections/{id}/photos/{slot} request.
PHOTO_FIELDS = {"slot": "path.slot", "file": "body.file"}


def visit_field(field: str) -> str:
    """Request path of a VisitInput field (``results[2].item`` -> ``body.results[2].item``)."""
    return VISIT_FIELDS.get(field) or f"body.{field}"


def photo_field(field: str) -> str:
    """Request path of a photo upload field."""
    return PHOTO_FIELDS.get(field) or f"body.{field}"


@contextmanager
def visit_problems(where: Callable[[str], str] = visit_field) -> Iterator[None]:
    """Turn the visit/photo/campaign errors raised inside into problems naming the field:
    invalid input 422, unknown reference 404, conflict 409, photo too large 413, photo of an
    unsupported type 415."""
    try:
        yield
    except AmbiguousPositionError as exc:
        raise ProblemError(422, str(exc), kind="ambiguous-position", errors=[
            FieldProblem(field=where(p.field), detail=p.reason) for p in exc.problems]) from exc
    except InvalidVisitError as exc:
        raise ProblemError(422, str(exc), kind="invalid-input", errors=[
            FieldProblem(field=where(p.field), detail=p.reason) for p in exc.problems]) from exc
    except ReferenceNotFoundError as exc:
        raise ProblemError(404, str(exc), kind="not-found", errors=[
            FieldProblem(field=where(exc.field), detail=str(exc))]) from exc
    except VisitConflictError as exc:
        kind = "idempotency-key-reused" if exc.field == "idempotency_key" else "conflict"
        raise ProblemError(409, str(exc), kind=kind, errors=[
            FieldProblem(field=where(exc.field), detail=str(exc))]) from exc
    except PhotoTooLargeError as exc:
        raise ProblemError(413, str(exc), kind="too-large") from exc
    except UnsupportedPhotoError as exc:
        raise ProblemError(415, str(exc), kind="unsupported-media-type") from exc
