"""Small helpers of the OGC API tests: walk every page of a collection."""

from __future__ import annotations

from typing import Any

GEOJSON = "application/geo+json"


def items_url(collection: str) -> str:
    return f"/ogc/collections/{collection}/items"


def all_pages(client, collection: str, headers: dict[str, str], **params: Any) -> list[dict]:
    """Every feature of ``collection`` passing ``params``, following the ``next`` links."""
    response = client.get(items_url(collection), params=params, headers=headers)
    features: list[dict] = []
    for _ in range(1000):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not following:
            return features
        response = client.get(following[0], headers=headers)
    raise AssertionError("more than 1000 pages")


def ids(client, collection: str, headers: dict[str, str], **params: Any) -> list[int]:
    """The ids of :func:`all_pages`, in the order served."""
    return [feature["id"] for feature in all_pages(client, collection, headers, **params)]


def problem_field(response) -> str:
    """The one field a 400 problem names (``query.bbox`` ...)."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [error["field"] for error in response.json()["errors"]]
    assert len(fields) == 1, fields
    return fields[0]
