"""The dev server's read timeouts: a stuck client cannot hang it.

Each case holds a connection open in a different way (silent, a head that
never ends, a body that stops) and checks that the server frees itself within
its timeout and keeps answering others, threaded or not.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import typing as t

import pytest

from erlen import Erlen
from erlen import request
from erlen.serving import DevServer


@pytest.fixture
def serve() -> t.Iterator[t.Callable[..., DevServer]]:
    started: list[tuple[DevServer, threading.Thread]] = []

    def start(**options: t.Any) -> DevServer:
        app = Erlen("timeouts")

        @app.route("/", methods=["GET", "POST"])
        def index() -> str:
            return str(len(request.get_data()))

        options.setdefault("quiet", True)
        server = DevServer("127.0.0.1", 0, app, **options)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _get(server: DevServer) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status
    finally:
        conn.close()


def _closed_within(sock: socket.socket, bound: float) -> float:
    """Seconds until the server ends the connection (fails past ``bound``)."""
    sock.settimeout(bound)
    start = time.monotonic()
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - start


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize(
    "stuck",
    [
        b"",  # connects and says nothing
        b"GET / HTTP/1.1\r\nHost: x\r\n",  # a head that never ends
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",  # body stops
    ],
    ids=["silent", "head", "body"],
)
def test_stuck_client_is_dropped(
    serve: t.Callable[..., DevServer], threaded: bool, stuck: bytes
) -> None:
    server = serve(
        threaded=threaded, header_timeout=0.5, keep_alive_timeout=0.5, body_timeout=0.5
    )
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
        s.sendall(stuck)
        assert _closed_within(s, 4) < 3
    # The server is still serving.
    assert _get(server) == 200


def test_threaded_server_serves_others_meanwhile(
    serve: t.Callable[..., DevServer],
) -> None:
    server = serve(header_timeout=30, body_timeout=30)
    stuck = [
        socket.create_connection(("127.0.0.1", server.server_port), timeout=5)
        for _ in range(20)
    ]
    try:
        for s in stuck:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n")
        start = time.monotonic()
        assert _get(server) == 200
        assert time.monotonic() - start < 2
    finally:
        for s in stuck:
            s.close()


def test_defaults_are_bounded() -> None:
    server = DevServer("127.0.0.1", 0, Erlen("x"), quiet=True)
    try:
        assert 0 < server.header_timeout <= 60
        assert 0 < server.keep_alive_timeout <= 60
        assert 0 < server.body_timeout <= 120
    finally:
        server.server_close()
