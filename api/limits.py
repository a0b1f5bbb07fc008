"""Request guards applied before any route: body size (413), body media type (415), and NUL
characters in the path, the query or a JSON body (422 naming the field: PostgreSQL cannot store
them in text).

All are enforced at the ASGI level, so a body is refused before it is read into memory, and a
chunked body without Content-Length is counted as it streams.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TITLES, TYPE_BASE, field_path

JSON_TYPES = ("application/json",)
MULTIPART = "multipart/form-data"
NUL_REASON = "text may not contain NUL (\\u0000) characters"


def nul_fields(scope: Scope) -> list[str]:
    """The fields (``path``, ``query.<name>``) of the request whose text holds a NUL."""
    fields = ["path"] if "\x00" in scope.get("path", "") else []
    query = scope.get("query_string", b"").decode("latin-1")
    fields += [f"query.{name}" for name, value in parse_qsl(query, keep_blank_values=True)
               if "\x00" in value or "\x00" in name]
    return fields


def json_nul_fields(body: bytes) -> list[str]:
    """The fields (``body.results[2].note``) of a JSON body whose text holds a NUL (JSON spells
    it ``\\u0000``); none when the body is not JSON (FastAPI answers that)."""
    if b"\\u0000" not in body:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []
    found: list[str] = []

    def walk(value: object, loc: tuple) -> None:
        if isinstance(value, str):
            if "\x00" in value:
                found.append(field_path(loc))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, (*loc, key))
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*loc, index))

    walk(document, ("body",))
    return list(dict.fromkeys(found))


async def _problem(send: Send, scope: Scope, status: int, detail: str, kind: str,
                   errors: list[dict] | None = None) -> None:
    document = {
        "type": TYPE_BASE + kind, "title": TITLES[status], "status": status,
        "detail": detail, "instance": scope.get("path"),
    }
    if errors:
        document["errors"] = errors
    body = json.dumps(document).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Refuse bodies over ``json_limit`` bytes (``upload_limit`` for multipart) with 413,
    bodies that are neither JSON nor multipart with 415, and a NUL in the path, a query
    parameter or a JSON body with 422 naming the field."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if bad := nul_fields(scope):
            await _problem(send, scope, 422, f"{', '.join(bad)}: {NUL_REASON}", "invalid-input",
                           [{"field": field, "detail": NUL_REASON} for field in bad])
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        media = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        length = headers.get(b"content-length")
        has_body = length is None and b"transfer-encoding" in headers or (
            length is not None and length != b"0"
        )
        if has_body and not (media in JSON_TYPES or media.endswith("+json") or media == MULTIPART):
            await _problem(send, scope, 415,
                           f"a body of type {media or '(none)'!r} is not accepted; send "
                           "application/json, or multipart/form-data for photos",
                           "unsupported-media-type")
            return
        limit = self.upload_limit if media == MULTIPART else self.json_limit
        if length is not None and length.isdigit() and int(length) > limit:
            await _problem(send, scope, 413, f"the body is over {limit:,} bytes", "too-large")
            return
        received = 0
        json_chunks: list[bytes] | None = None if media == MULTIPART else []
        refusal: tuple[int, str, str, list[dict] | None] | None = None
        started = False

        async def guarded_receive() -> Message:
            # Once refused the app is told the client left: it stops reading, and whatever it
            # answers is replaced by the refusal below (raising here would become FastAPI's 400).
            nonlocal received, refusal
            if refusal:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    refusal = (413, f"the body is over {limit:,} bytes", "too-large", None)
                    return {"type": "http.disconnect"}
                if json_chunks is not None:
                    json_chunks.append(chunk)
                    if not message.get("more_body", False) and (
                            bad := json_nul_fields(b"".join(json_chunks))):
                        refusal = (422, f"{', '.join(bad)}: {NUL_REASON}", "invalid-input",
                                   [{"field": field, "detail": NUL_REASON} for field in bad])
                        return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not refusal or started:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not refusal:
                raise
        if refusal and not started:
            await _problem(send, scope, *refusal)
