"""Failed sign-ins are rate-limited per client address: after ``limit`` answers of 401 to
requests carrying credentials (a bearer token, the page cookie, or ``POST /session``) within
``window_s`` seconds (a page's redirect to the login page counts as one), that address's
credentialed requests, valid ones included, are answered 429 with ``Retry-After`` until the
oldest failure leaves the window. Behind one NAT address, a single client failing 30 times a
minute therefore blocks the others for up to a minute: legitimate clients do not fail that
often.

Tokens are 256-bit random, so guessing one is hopeless anyway: the limit keeps a flood of bad
tokens from costing a database query each. It is kept per API process (each worker counts
its own), by the address uvicorn reports (behind a reverse proxy, run uvicorn with
``--forwarded-allow-ips`` so that is the client's). Requests without credentials (401 for a
missing token) do not count.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TITLES, TYPE_BASE

#: Failures per address within the window before requests are refused.
LIMIT = 30
WINDOW_S = 60.0
#: Addresses remembered before those with no failure in the window are forgotten.
MAX_ADDRESSES = 10_000


def _has_credentials(scope: Scope) -> bool:
    if scope.get("method") == "POST" and scope.get("path") == "/session":
        return True
    for name, value in scope.get("headers") or ():
        if name == b"authorization" or (name == b"cookie" and b"telecom_gis_session" in value):
            return True
    return False


def _refused_sign_in(start: Message) -> bool:
    """A 401, or a page's redirect to the login page (how pages refuse a bad token)."""
    if start["status"] == 401:
        return True
    if start["status"] == 303:
        return any(name == b"location" and value.startswith(b"/login")
                   for name, value in start.get("headers") or ())
    return False


class SignInThrottle:
    """ASGI middleware counting 401s to credentialed requests per client address."""

    def __init__(self, app: ASGIApp, limit: int = LIMIT, window_s: float = WINDOW_S,
                 clock=time.monotonic) -> None:
        self.app = app
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may now."""
        now = self.clock()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < self.limit:
                if not failures:
                    self._failures.pop(address, None)
                return None
            return max(1, math.ceil(failures[0] + self.window_s - now))

    def failed(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > MAX_ADDRESSES:  # forget addresses with nothing recent
                for other in [a for a, f in self._failures.items()
                              if not f or f[-1] <= now - self.window_s]:
                    del self._failures[other]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_credentials(scope):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.retry_after(address)
        if wait is not None:
            await _refuse(send, scope, wait)
            return

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and _refused_sign_in(message):
                self.failed(address)
            await send(message)

        await self.app(scope, receive, watching_send)


async def _refuse(send: Send, scope: Scope, wait: int) -> None:
    body = json.dumps({
        "type": TYPE_BASE + "too-many-failed-sign-ins", "title": TITLES[429], "status": 429,
        "detail": f"too many failed sign-ins from this address; retry in {wait} s",
        "instance": scope.get("path")}).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(wait).encode())]})
    await send({"type": "http.response.body", "body": body})
