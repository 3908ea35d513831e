"""Drive an ASGI app in-process, the way bench/wsgi.py drives a WSGI app.

``InProcessASGI`` looks like a WSGI callable (for verification, one event-loop
run per call) and has ``run_many`` for timing: one event-loop run serves all
``n`` requests, as a server's running loop would, each with a fresh scope and
receive/send pair.  No server, no sockets: the ASGI counterpart of calling a
WSGI app with an environ.
"""

from __future__ import annotations

import asyncio
from typing import Any


def scope_from_environ(env: dict[str, Any]) -> dict[str, Any]:
    headers = []
    for key, value in env.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower().encode(), value.encode()))
    if env.get("CONTENT_TYPE"):
        headers.append((b"content-type", env["CONTENT_TYPE"].encode()))
    if env.get("CONTENT_LENGTH"):
        headers.append((b"content-length", env["CONTENT_LENGTH"].encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": env["REQUEST_METHOD"],
        "scheme": env.get("wsgi.url_scheme", "http"),
        "path": env["PATH_INFO"],
        "raw_path": env["PATH_INFO"].encode(),
        "query_string": env.get("QUERY_STRING", "").encode(),
        "root_path": "",
        "headers": headers,
        "client": (env.get("REMOTE_ADDR", "127.0.0.1"), 54321),
        "server": (env.get("SERVER_NAME", "127.0.0.1"), 8000),
        "state": {},
    }


class InProcessASGI:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    async def _serve(
        self, template: dict[str, Any], body: bytes, sink: list[Any]
    ) -> None:
        done = False

        async def receive() -> dict[str, Any]:
            nonlocal done
            if done:
                return {"type": "http.disconnect"}
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sink.append(message)

        scope = dict(template)
        scope["headers"] = list(template["headers"])
        await self.app(scope, receive, send)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        sink: list[Any] = []
        self.loop.run_until_complete(
            self._serve(scope_from_environ(environ), body, sink)
        )
        start = next(m for m in sink if m["type"] == "http.response.start")
        headers = [(k.decode(), v.decode()) for k, v in start.get("headers", [])]
        start_response(f"{start['status']} -", headers)
        return [m.get("body", b"") for m in sink if m["type"] == "http.response.body"]

    def run_many(self, env: dict[str, Any], body: bytes, n: int) -> None:
        template = scope_from_environ(env)

        async def many() -> None:
            for _ in range(n):
                await self._serve(template, body, [])

        self.loop.run_until_complete(many())
