"""Security headers on every answer, and a Content-Security-Policy on the pages.

Every response: ``X-Content-Type-Options: nosniff`` (a browser never guesses a type, e.g. of
an uploaded photo), ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``. HTML pages
also get a policy allowing scripts, styles, fonts and data from this origin only (all assets
are served by the app: no CDN), images from it and from the base-map tile host, and no
framing. Inline scripts and styles stay allowed: folium writes its maps as inline scripts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def content_security_policy(tile_url: str) -> str:
    """The pages' policy; ``tile_url`` is the base-map template (its origin may serve images)."""
    parts = urlsplit(tile_url) if tile_url else None
    tiles = f" {parts.scheme}://{parts.netloc}" if parts and parts.netloc else ""
    return "; ".join([
        "default-src 'self'", "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'", f"img-src 'self' data: blob:{tiles}",
        "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "manifest-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        "frame-ancestors 'none'"])


class SecurityHeaders:
    """ASGI middleware adding :data:`COMMON` to every response and the policy to HTML."""

    def __init__(self, app: ASGIApp, tile_url: str) -> None:
        self.app = app
        self.policy = content_security_policy(tile_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("content-security-policy", self.policy)
            await send(message)

        await self.app(scope, receive, with_headers)
