"""HTTP entity tags (RFC 9110 section 8.8.3) for optimistic concurrency: the ``ETag`` a read
gives and the ``If-Match`` list an edit sends back."""

from __future__ import annotations


def etag(version: str) -> str:
    """The (strong) entity tag of a version string."""
    return f'"{version}"'


def if_match_versions(header: str | None) -> list[str] | None:
    """The versions an ``If-Match`` header names (``*`` kept; None without the header). Weak
    tags never match an If-Match (strong comparison), so they are left out."""
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    return [tag if tag == "*" else tag.strip('"') for tag in tags if not tag.startswith("W/")]
