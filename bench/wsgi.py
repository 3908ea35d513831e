"""In-process WSGI calls: build an environ, call the app, read the response.

Every framework gets the same environ (copied fresh for each request, as a
server would build one) and its body iterable is fully consumed and closed.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.scenarios import Expect
from bench.scenarios import Request

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def build_environ(req: Request, cookie: str | None = None) -> dict[str, Any]:
    """Return the template environ for ``req`` (without ``wsgi.input``)."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": req.path,
        "QUERY_STRING": req.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "erlen-bench/1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if req.body or req.method in ("POST", "PUT", "PATCH"):
        env["CONTENT_LENGTH"] = str(len(req.body))
    if req.content_type:
        env["CONTENT_TYPE"] = req.content_type
    for name, value in req.headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        if key == "HTTP_COOKIE" and cookie:
            value = f"{value}; {cookie}"
        env[key] = value
    if cookie and "HTTP_COOKIE" not in env:
        env["HTTP_COOKIE"] = cookie
    return env


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


def call(app: WSGIApp, req: Request, cookie: str | None = None) -> Response:
    """Make one request and capture everything the server would send."""
    env = build_environ(req, cookie)
    env["wsgi.input"] = io.BytesIO(req.body)
    captured: list[Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured[:] = [status, list(headers)]
        return chunks.append

    result = app(env, start_response)
    try:
        for chunk in result:
            chunks.append(bytes(chunk))
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not captured:
        raise AssertionError("start_response was never called")
    return Response(int(captured[0].split()[0]), captured[1], b"".join(chunks))


def _no_write(data: bytes) -> None:
    """The ``write`` callable handed back by the timed loop's start_response."""


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Any:
    return _no_write


def run(app: WSGIApp, env: dict[str, Any], body: bytes, n: int) -> None:
    """Serve ``n`` copies of ``env``: the timed loop, kept as small as a server's."""
    bytes_io = io.BytesIO
    sr = _start_response
    for _ in range(n):
        environ = env.copy()
        environ["wsgi.input"] = bytes_io(body)
        result = app(environ, sr)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()


def parse_set_cookie(header: str) -> tuple[str, str, set[str]]:
    """Split a Set-Cookie value into name, value and lower-case attributes."""
    first, *rest = header.split(";")
    name, _, value = first.strip().partition("=")
    attrs = set()
    for attr in rest:
        key, sep, val = attr.strip().partition("=")
        attrs.add(f"{key.lower()}={val.lower()}" if sep else key.lower())
    if value.startswith('"') and value.endswith('"') and len(value) > 1:
        value = value[1:-1]
    return name, value, attrs


def _check_head(resp: Response, expect: Expect) -> list[str]:
    errors: list[str] = []
    if resp.status != expect.status:
        errors.append(f"status {resp.status}, expected {expect.status}")
    ctype = resp.header("content-type") or ""
    media = ctype.split(";")[0].strip().lower()
    if expect.media_type is not None:
        if media != expect.media_type:
            errors.append(f"media type {ctype!r}, expected {expect.media_type!r}")
        elif (
            expect.charset
            and media.startswith("text/")
            and "charset=utf-8" not in ctype.lower().replace(" ", "")
        ):
            errors.append(f"content type {ctype!r} lacks charset=utf-8")
    for name in expect.headers_present:
        if resp.header(name) is None:
            errors.append(f"no {name} header")
    return errors


def _check_body(resp: Response, expect: Expect) -> list[str]:
    errors: list[str] = []
    if expect.json is not None:
        try:
            got = json.loads(resp.body)
        except ValueError:
            got = f"<not JSON: {resp.body[:80]!r}>"
        if got != expect.json:
            errors.append(f"JSON {got!r}, expected {expect.json!r}")
    elif expect.body is not None:
        if resp.body != expect.body:
            errors.append(f"body {resp.body[:120]!r}, expected {expect.body[:120]!r}")
    elif not resp.body:
        errors.append("empty body")
    length = resp.header("content-length")
    if length is not None and int(length) != len(resp.body):
        errors.append(f"Content-Length {length} but body is {len(resp.body)} bytes")
    return errors


def _check_cookies(resp: Response, expect: Expect) -> list[str]:
    errors: list[str] = []
    cookies = {}
    for header in resp.set_cookies():
        name, value, attrs = parse_set_cookie(header)
        cookies[name] = (value, attrs)
    for want in expect.cookies:
        if want.name not in cookies:
            errors.append(f"no Set-Cookie for {want.name!r} ({resp.set_cookies()!r})")
            continue
        value, attrs = cookies[want.name]
        if want.value is not None and value != want.value:
            errors.append(f"cookie {want.name}={value!r}, expected {want.value!r}")
        if not value:
            errors.append(f"cookie {want.name} is empty")
        missing = [a for a in want.attrs if a not in attrs]
        if missing:
            errors.append(f"cookie {want.name} lacks {missing} (has {sorted(attrs)})")
    return errors


def check(resp: Response, expect: Expect) -> list[str]:
    """Return what is wrong with ``resp`` (an empty list when it is right)."""
    return (
        _check_head(resp, expect)
        + _check_body(resp, expect)
        + _check_cookies(resp, expect)
    )


def cookie_pair(resp: Response, name: str) -> str | None:
    """The ``name=value`` pair to send back for the cookie ``name`` set by ``resp``."""
    for header in resp.set_cookies():
        got, value, _attrs = parse_set_cookie(header)
        if got == name:
            return header.split(";")[0].strip()
    return None
