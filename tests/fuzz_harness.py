"""The app, raw environs and the response check shared by the fuzzers.

``tests/test_properties_*.py`` (hypothesis, in the suite) and
``scripts/fuzz`` (atheris, outside it) drive the same apps through the WSGI
callable with environs built from arbitrary bytes, and hold every answer to
the same property: a well-formed response with a 2xx-4xx status, no
exception escaping the app, the body fully readable, within a time bound.

The apps propagate exceptions (``PROPAGATE_EXCEPTIONS``) so a bug shows up
as the exception with its traceback, not as a bare 500.
"""

from __future__ import annotations

import io
import os
import re
import time
import typing as t
import uuid

from erlen import Erlen
from erlen import jsonify
from erlen import request
from erlen import send_file
from erlen import session
from erlen.files import make_conditional
from erlen.jsonapi import CursorCodec
from erlen.jsonapi import page_args
from erlen.server_sessions import MemoryStore
from erlen.server_sessions import ServerSideSessionInterface

HERE = os.path.dirname(os.path.abspath(__file__))
#: A request that takes longer than this is a hang.
TIME_BOUND = 5.0
_STATUS = re.compile(r"\A[1-5][0-9]{2} [\x20-\x7e]*\Z")
_TOKEN = re.compile(r"\A[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_FILE_BODY = bytes(range(256)) * 8
_FILE_MTIME = 1_700_000_000


class Failure(AssertionError):
    """The app broke the property for one request."""


def _summary(value: t.Any) -> t.Any:
    """A JSON-safe picture of a parsed value (reprs, so nothing is lost)."""
    return repr(value)[:200]


def make_app(server_sessions: bool = False) -> Erlen:  # noqa: C901
    """One app with a view on every parser that reads client bytes."""
    app = Erlen("fuzz_app", root_path=HERE)
    app.config.update(
        SECRET_KEY="fuzz secret",
        PROPAGATE_EXCEPTIONS=True,
        MAX_CONTENT_LENGTH=64 * 1024,
        MAX_FORM_MEMORY_SIZE=16 * 1024,
        MAX_FORM_PARTS=50,
    )
    if server_sessions:
        app.session_interface = ServerSideSessionInterface(MemoryStore())

    @app.route("/")
    def index() -> t.Any:
        return "ok"

    @app.route("/r/<name>")
    def r_name(name: str) -> t.Any:
        return {"name": name}

    @app.route("/r/<int:n>/<float:x>")
    def r_numbers(n: int, x: float) -> t.Any:
        return {"n": n, "x": x}

    @app.route("/r/u/<uuid:u>")
    def r_uuid(u: uuid.UUID) -> t.Any:
        return {"u": str(u)}

    @app.route("/r/p/<path:rest>")
    def r_path(rest: str) -> t.Any:
        return {"rest": rest}

    @app.route("/r/slash/")
    def r_slash() -> t.Any:
        return "slash"

    @app.route("/args")
    def args() -> t.Any:
        return {
            "args": {k: v for k, v in request.args.lists()},
            "n": request.args.get("n", type=int),
            "full_path": request.full_path,
            "url": request.url,
        }

    @app.route("/page")
    def page() -> t.Any:
        return {"page": page_args()}

    @app.route("/cursor")
    def cursor() -> t.Any:
        codec = CursorCodec(app.secret_key)
        value = request.args.get("cursor", "")
        return {"cursor": _summary(codec.decode(value))}

    @app.route("/form", methods=["POST", "PUT"])
    def form() -> t.Any:
        files = {
            key: [
                {
                    "filename": f.filename,
                    "type": f.content_type,
                    "size": len(f.read()),
                    "headers": _summary(list(f.headers.items())),
                }
                for f in values
            ]
            for key, values in request.files.lists()
        }
        return {"form": {k: v for k, v in request.form.lists()}, "files": files}

    @app.route("/data", methods=["POST"])
    def data() -> t.Any:
        return {"size": len(request.get_data()), "values": len(request.values)}

    @app.route("/json", methods=["POST"])
    def json_body() -> t.Any:
        return jsonify(echo=request.get_json())

    @app.route("/json-silent", methods=["POST"])
    def json_silent() -> t.Any:
        return {"echo": _summary(request.get_json(silent=True))}

    @app.route("/cookies")
    def cookies() -> t.Any:
        return {"cookies": {k: v for k, v in request.cookies.lists()}}

    @app.route("/session", methods=["GET", "POST"])
    def use_session() -> t.Any:
        seen = _summary(dict(session))
        if request.method == "POST":
            session["n"] = (
                session.get("n", 0) + 1 if isinstance(session.get("n"), int) else 1
            )
        return {"seen": seen}

    @app.route("/headers")
    def headers() -> t.Any:
        accept = request.accept_mimetypes
        return {
            "inm": _summary(request.if_none_match),
            "im": _summary(request.if_match),
            "range": _summary(request.range),
            "ims": _summary(request.if_modified_since),
            "ius": _summary(request.if_unmodified_since),
            "best": accept.best_match(["application/json", "text/html"]),
            "json": accept["application/json"],
            "lang": request.accept_languages.best,
            "charset": _summary(request.accept_charsets),
            "enc": _summary(request.accept_encodings),
            "ct": [request.mimetype, request.mimetype_params],
            "cl": request.content_length,
            "auth": _summary(request.authorization),
            "ua": str(request.user_agent),
            "host": request.host,
            "url": request.url,
            "root": request.url_root,
            "route": request.access_route,
            "remote": request.remote_addr,
            "referrer": request.referrer,
            "origin": request.origin,
            "secure": request.is_secure,
        }

    @app.route("/file")
    def file() -> t.Any:
        return send_file(
            io.BytesIO(_FILE_BODY),
            mimetype="application/octet-stream",
            etag="fuzz-etag",
            last_modified=_FILE_MTIME,
            conditional=True,
        )

    @app.route("/static-file")
    def static_file() -> t.Any:
        return app.send_static_file("style.css")

    @app.route("/etag")
    def etag() -> t.Any:
        response = app.make_response("etagged body")
        response.add_etag()
        return make_conditional(response, request, accept_ranges=True)

    return app


def make_host_app() -> Erlen:
    """An app that routes on the Host header (subdomains, trusted hosts)."""
    app = Erlen("fuzz_host_app", root_path=HERE, subdomain_matching=True)
    app.config.update(
        SECRET_KEY="fuzz secret",
        PROPAGATE_EXCEPTIONS=True,
        SERVER_NAME="example.test",
        TRUSTED_HOSTS=["example.test", ".example.test", "localhost"],
    )

    @app.route("/")
    def index() -> t.Any:
        return {"host": request.host, "url": request.url}

    @app.route("/", subdomain="<user>")
    def user(user: str) -> t.Any:
        return {"user": user, "url": request.url}

    return app


def environ(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    body: bytes = b"",
    headers: t.Mapping[str, str] | t.Iterable[tuple[str, str]] = (),
    content_length: str | None = None,
    **extra: t.Any,
) -> dict[str, t.Any]:
    """A raw WSGI environ.  ``path``, ``query`` and header values are WSGI
    strings (latin-1 code points for the bytes a server received)."""
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_length is not None:
        env["CONTENT_LENGTH"] = content_length
    elif body:
        env["CONTENT_LENGTH"] = str(len(body))
    pairs = headers.items() if isinstance(headers, t.Mapping) else headers
    for key, value in pairs:
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        env[name] = value
    env.setdefault("HTTP_HOST", "localhost")
    env.update(extra)
    return env


def latin1(data: bytes) -> str:
    """Bytes as a WSGI string (what a server puts in PATH_INFO or headers)."""
    return data.decode("latin-1")


class Result(t.NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def check(app: Erlen, env: dict[str, t.Any]) -> Result:
    """Run one request and hold the answer to the property; raise
    :class:`Failure` (or the app's own exception) when it breaks."""
    seen: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        if exc_info is not None and "status" in seen:
            raise exc_info[1].with_traceback(exc_info[2])
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    started = time.monotonic()
    iterable = app(env, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    elapsed = time.monotonic() - started
    if elapsed > TIME_BOUND:
        raise Failure(f"took {elapsed:.1f}s (bound {TIME_BOUND}s)")
    status = seen.get("status")
    if not isinstance(status, str) or not _STATUS.match(status):
        raise Failure(f"malformed status line {status!r}")
    code = int(status[:3])
    if not 200 <= code < 500:
        raise Failure(f"status {status!r}: {body[:300]!r}")
    headers = seen["headers"]
    for name, value in headers:
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise Failure(f"malformed header name {name!r}")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise Failure(f"malformed header value {name}: {value!r}")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise Failure(f"header not latin-1: {name}: {value!r}") from None
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    if len(lengths) > 1:
        raise Failure(f"several Content-Length headers: {lengths!r}")
    if lengths and env["REQUEST_METHOD"] != "HEAD" and code not in (204, 304):
        if int(lengths[0]) != len(body):
            raise Failure(f"Content-Length {lengths[0]} but {len(body)} bytes sent")
    if b"Traceback (most recent call last)" in body:
        raise Failure("a traceback in the body")
    return Result(code, headers, body)
