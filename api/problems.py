"""One error shape for every failure: RFC 9457 ``application/problem+json``.

Each problem has ``type``, ``title``, ``status`` and ``detail``; validation problems add
``errors``, a list of ``{"field": "body.results[2].result", "detail": ...}`` naming the field.
Domain errors from :mod:`gis` are mapped to status codes here and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.auth import AuthError, ForbiddenError
from gis.errors import (
    ConflictError,
    DatabaseUnavailableError,
    GisError,
    NotFoundError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://telecom-gis.example/problems/"

TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
    413: "Content too large", 415: "Unsupported media type", 422: "Invalid input",
    429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}


class FieldProblem(BaseModel):
    """One invalid field: where it is and what is wrong."""

    field: str = Field(examples=["body.results[2].result"])
    detail: str = Field(examples=["Input should be 'pass', 'fail' or 'not_checked'"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=[TYPE_BASE + "invalid-input"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["1 field is invalid"])
    instance: str | None = Field(default=None, examples=["/inspections"])
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    """Raise from a route to answer with a problem of ``status``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: Sequence[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = list(errors) if errors else None
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the ``application/problem+json`` response."""
    title = TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "results", 2, "result")`` -> ``body.results[2].result``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(request)"


@contextmanager
def fields_at(prefix: str) -> Iterator[None]:
    """Turn a :class:`ValidationFailed` raised inside into a 422 problem whose fields are
    placed under ``prefix`` (``"body"``: the domain's ``operator`` becomes ``body.operator``)."""
    try:
        yield
    except ValidationFailed as exc:
        errors = [
            FieldProblem(field=f"{prefix}.{getattr(p, 'field', '') or '(input)'}",
                         detail=str(getattr(p, "reason", p)))
            for p in exc.problems
        ]
        raise ProblemError(422, str(exc), kind="invalid-input", errors=errors) from exc


def _validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(field=field_path(err.get("loc", ())), detail=str(err.get("msg", "invalid")))
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, kind=exc.kind,
                                errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = _validation_problems(exc)
        if any(p.detail.startswith("JSON decode error") for p in problems):
            return problem_response(request, 400, "the body is not valid JSON",
                                    kind="malformed-json", errors=problems)
        noun = "field is" if len(problems) == 1 else "fields are"
        return problem_response(request, 422, f"{len(problems)} {noun} invalid",
                                kind="invalid-input", errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem_response(request, exc.status_code, detail,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        challenge = 'Bearer realm="telecom-gis"'
        if getattr(exc, "token_given", False):  # RFC 6750 section 3.1
            challenge += ', error="invalid_token"'
        return problem_response(request, 401, str(exc), kind="not-authenticated",
                                headers={"WWW-Authenticate": challenge})

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> JSONResponse:
        return problem_response(request, 403, str(exc), kind="forbidden")

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem_response(request, 404, str(exc), kind="not-found")

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem_response(request, 409, str(exc), kind="conflict")

    @app.exception_handler(ValidationFailed)
    async def _failed(request: Request, exc: ValidationFailed) -> JSONResponse:
        errors = [FieldProblem(field=str(getattr(p, "field", "")) or "(request)",
                               detail=str(getattr(p, "reason", p))) for p in exc.problems]
        return problem_response(request, 422, str(exc), kind="invalid-input", errors=errors)

    @app.exception_handler(DatabaseUnavailableError)
    async def _unavailable(request: Request, exc: DatabaseUnavailableError) -> JSONResponse:
        return problem_response(request, 503, "the database is unavailable; retry shortly",
                                kind="database-unavailable", headers={"Retry-After": "5"})

    @app.exception_handler(GisError)
    async def _domain(request: Request, exc: GisError) -> JSONResponse:
        return problem_response(request, 422, str(exc), kind="invalid-input")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        diag = getattr(exc.orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
        message = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
        detail = f"{message} (constraint {constraint})" if constraint else message
        return problem_response(request, 409, detail, kind="conflict")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return problem_response(request, 503, "the database is unavailable; retry shortly",
                                kind="database-unavailable", headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        diag = getattr(exc.orig, "diag", None)
        sqlstate = getattr(diag, "sqlstate", None) or ""
        message = getattr(diag, "message_primary", None) or "the database refused the request"
        if isinstance(exc, DataError) and not sqlstate:
            # Refused by the driver before it reached the server, e.g. a NUL character in a
            # text value (PostgreSQL cannot store one): bad input, not a server fault.
            message = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else message
            return problem_response(request, 422, message, kind="invalid-input")
        if sqlstate.startswith(("22", "23", "P0")):  # data exception, integrity, raise
            return problem_response(request, 422, message, kind="invalid-input")
        log.exception("database error")
        return problem_response(request, 500, "unexpected database error", kind="internal")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem_response(request, 500, "unexpected error", kind="internal")


#: ``responses=`` entry documenting the problem shape for the given status codes.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, all with the :class:`Problem` schema."""
    return {
        status: {"model": Problem, "description": TITLES.get(status, "Error"),
                 "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }
