"""A loopback TCP proxy that can cut or stall a service on demand.

``FaultProxy(("127.0.0.1", 6379))`` listens on a free port and forwards to
the upstream.  ``down()`` resets every open connection and every new one
(the service is stopped); ``stall()`` keeps connections open but forwards
nothing (a network partition: clients wait for their timeout); ``up()``
restores forwarding.  Threads and sockets end with ``close()``.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time


def _reset(sock: socket.socket) -> None:
    """Close with an RST, as a stopped server's kernel answers."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], timeout: float = 2.0) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self.mode = "up"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._closed = False
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- faults -----------------------------------------------------------------

    def down(self) -> None:
        with self._lock:
            self.mode = "down"
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            _reset(client)
            server.close()

    def stall(self) -> None:
        self.mode = "stall"

    def up(self) -> None:
        self.mode = "up"

    def close(self) -> None:
        self._closed = True
        self.down()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()

    # -- forwarding -------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode == "down":
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=self.timeout)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            thread = threading.Thread(
                target=self._pump, args=(client, server), daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers: dict[socket.socket, socket.socket] = {client: server, server: client}
        try:
            while not self._closed and self.mode != "down":
                if self.mode == "stall":
                    time.sleep(0.05)  # leave the bytes unread: nothing moves
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                if (client, server) in self._pairs:
                    self._pairs.remove((client, server))
            for sock in (client, server):
                try:
                    sock.close()
                except OSError:
                    pass

    def url(self, scheme: str = "redis", path: str = "/0") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"
