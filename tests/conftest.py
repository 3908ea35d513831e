"""Shared fixtures: a fresh app per test, its client, contexts, and a leak check.

Tests define their views inline on the ``app`` fixture and talk to it through
``client``, so each test reads like the code a user writes.
"""

from __future__ import annotations

import io
import os
import typing as t

import pytest

from erlen import Erlen
from erlen.globals import _cv_context

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def app() -> Erlen:
    app = Erlen("test_app", root_path=HERE)
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Erlen) -> t.Any:
    return app.test_client()


@pytest.fixture
def runner(app: Erlen) -> t.Any:
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Erlen) -> t.Iterator[t.Any]:
    with app.app_context() as ctx:
        yield ctx


@pytest.fixture
def req_ctx(app: Erlen) -> t.Iterator[t.Any]:
    with app.test_request_context() as ctx:
        yield ctx


@pytest.fixture(autouse=True)
def restore_environment() -> t.Iterator[None]:
    """Undo what a test leaves in ``os.environ``.

    Invoking a CLI in-process sets ``ERLEN_RUN_FROM_CLI`` (or, in compat mode,
    ``FLASK_RUN_FROM_CLI``) as the real command does; left behind, it changes
    what ``app.run()`` does in whichever test runs next.
    """
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def leak_detector() -> t.Iterator[None]:
    """Fail a test that leaves an erlen context pushed (and clean it up)."""
    yield
    leaked = []
    for _ in range(100):
        ctx = _cv_context.get(None)
        if ctx is None:
            break
        leaked.append(ctx)
        try:
            ctx.pop()
        except Exception:
            break
    assert not leaked, f"the test left a context pushed: {leaked!r}"
    assert _cv_context.get(None) is None


class WSGIResult(t.NamedTuple):
    status: str
    headers: list[tuple[str, str]]
    data: bytes

    @property
    def status_code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def call_wsgi(
    app: t.Any,
    path: str = "/",
    method: str = "GET",
    query: str = "",
    body: t.Any = b"",
    headers: dict[str, str] | None = None,
    **environ: t.Any,
) -> WSGIResult:
    """Call ``app`` with a raw environ, as a server would (for malformed input
    the test client is too polite to produce).  ``path`` is a WSGI str: bytes
    above 0x7f appear as latin-1 code points."""
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body) if isinstance(body, bytes) else body,
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if isinstance(body, bytes) and body:
        env["CONTENT_LENGTH"] = str(len(body))
    for key, value in (headers or {}).items():
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        env[name] = value
    env.update(environ)
    seen: dict[str, t.Any] = {}

    def start_response(
        status: str, hdrs: list[tuple[str, str]], exc: t.Any = None
    ) -> t.Any:
        seen["status"] = status
        seen["headers"] = hdrs
        return lambda data: None

    iterable = app(env, start_response)
    try:
        data = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return WSGIResult(seen["status"], list(seen["headers"]), data)


@pytest.fixture
def wsgi() -> t.Callable[..., WSGIResult]:
    return call_wsgi
