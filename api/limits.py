"""Request guards applied before any route: body size (413) and body media type (415).

Both are enforced at the ASGI level, so a body is refused before it is read into memory, and a
chunked body without Content-Length is counted as it streams.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TITLES, TYPE_BASE

JSON_TYPES = ("application/json",)
MULTIPART = "multipart/form-data"


async def _problem(send: Send, scope: Scope, status: int, detail: str, kind: str) -> None:
    body = json.dumps({
        "type": TYPE_BASE + kind, "title": TITLES[status], "status": status,
        "detail": detail, "instance": scope.get("path"),
    }).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Refuse bodies over ``json_limit`` bytes (``upload_limit`` for multipart) with 413, and
    bodies that are neither JSON nor multipart with 415."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
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
        exceeded = started = False

        async def limited_receive() -> Message:
            # Past the limit the app is told the client left: it stops reading, and whatever it
            # answers is replaced by the 413 below (raising here would become FastAPI's 400).
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not exceeded or started:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _problem(send, scope, 413, f"the body is over {limit:,} bytes", "too-large")
