"""How the API process is served (api/serving.py): TCP_NODELAY on every connection whatever
socket uvicorn listens on, and the startup heap frozen out of full garbage collections."""

from __future__ import annotations

import gc
import http.client
import socket
import threading
import time

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.serving import NoDelayH11Protocol


async def _hello(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _server_side_nodelay(protocol: type) -> list[int]:
    """Serve a tiny app with ``protocol`` on a socket bound as uvicorn binds it for
    ``--workers`` above 1 (``proto=0``); after one keep-alive request, the TCP_NODELAY value
    of each connection the server accepted."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_hello, http=protocol, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"hello")
        values = [p.transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY) for p in server.server_state.connections]
        conn.close()
        return values
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_our_protocol_sets_tcp_nodelay_on_a_shared_worker_socket():
    """With ``--workers`` above 1 uvicorn listens on a ``proto=0`` socket, on which asyncio
    leaves Nagle's algorithm on (small answers then wait ~40 ms for a delayed ACK); our
    protocol turns it off on every accepted connection."""
    assert _server_side_nodelay(H11Protocol) == [0]  # why the protocol exists
    values = _server_side_nodelay(NoDelayH11Protocol)
    assert len(values) == 1 and values[0] != 0


@pytest.mark.usefixtures("client")
def test_app_startup_freezes_the_startup_heap():
    """Once an app has started, the objects alive then are out of the collector's full
    collections (each walked them all: 110-150 ms pauses under load)."""
    assert gc.get_freeze_count() > 0
