"""Timing fixed lists of requests: over HTTP (keep-alive, loopback) or as plain calls.

Latencies are wall-clock milliseconds from sending a request to having read the whole
response body. Summaries give count, median (p50), p95 and max; throughput runs give requests
per second for ``clients`` threads each working through the same list.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.visits import percentile


class EndpointMissing(RuntimeError):
    """An endpoint answered 404: the implementation under test does not have it (yet)."""


@dataclass
class HttpClient:
    """GETs on one keep-alive connection to ``127.0.0.1:port`` with fixed headers."""

    port: int
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0

    def __post_init__(self) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def get(self, path: str) -> bytes:
        """GET ``path`` and return the body; EndpointMissing on 404, RuntimeError on another
        status that is not 2xx."""
        try:
            self._conn.request("GET", path, headers=self.headers)
            response = self._conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):  # a dropped keep-alive: retry once
            self._conn.close()
            self._conn.request("GET", path, headers=self.headers)
            response = self._conn.getresponse()
            body = response.read()
        if response.status == 404:
            raise EndpointMissing(f"GET :{self.port}{path} -> 404 {body[:200]!r}")
        if not 200 <= response.status < 300:
            raise RuntimeError(f"GET :{self.port}{path} -> {response.status} {body[:300]!r}")
        return body


@dataclass
class Impl:
    """One implementation under test: ``make_call()`` gives a thread its own callable (own
    connection) that answers one request item; ``count`` reads the number of features from
    an answer (outside the timed part)."""

    name: str
    make_call: Callable[[], Callable[[Any], Any]]
    count: Callable[[Any], int]


def interleaved(impls: Sequence[Impl], items: Sequence) -> dict[str, dict]:
    """Time every item on every implementation, one request at a time, the implementations
    taking turns per item (rotating who goes first, so drift in the machine's load hits all
    alike). Per implementation: the latency summary and the features per answer."""
    calls = [impl.make_call() for impl in impls]
    latencies: dict[str, list[float]] = {impl.name: [] for impl in impls}
    counts: dict[str, list[int]] = {impl.name: [] for impl in impls}
    for i, item in enumerate(items):
        for k in range(len(impls)):
            j = (i + k) % len(impls)
            started = time.perf_counter()
            answer = calls[j](item)
            latencies[impls[j].name].append((time.perf_counter() - started) * 1000)
            counts[impls[j].name].append(impls[j].count(answer))
    return {impl.name: {**summarise(latencies[impl.name]), "features": counts[impl.name]}
            for impl in impls}


def summarise(latencies: Sequence[float]) -> dict:
    """Count, p50, p95 and max of latencies in milliseconds (rounded to 0.1 ms)."""
    values = list(latencies)
    if not values:
        return {"n": 0}
    p95 = percentile(values, 95) if len(values) > 1 else values[0]
    return {"n": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(p95, 1), "max_ms": round(max(values), 1)}


def throughput(impl: Impl, requests: Sequence, clients: int, per_client: int) -> dict:
    """``clients`` threads each call their own ``impl.make_call()`` on ``per_client`` items of
    ``requests`` (each thread starting at a different offset, wrapping round); requests per
    second and the latency summary."""
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def worker(offset: int) -> None:
        call = impl.make_call()
        barrier.wait()
        for i in range(per_client):
            item = requests[(offset + i) % len(requests)]
            started = time.perf_counter()
            try:
                call(item)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(str(exc)[:200])
            latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(n * len(requests) // clients,))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"clients": clients, "requests": len(latencies), "errors": len(errors),
            "first_error": errors[0] if errors else None, "seconds": round(seconds, 2),
            "rps": round(len(latencies) / seconds, 1), **summarise(latencies)}
