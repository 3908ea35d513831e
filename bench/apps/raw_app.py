"""The floor: the benchmark app as a bare WSGI callable on the standard library.

It does the same work as the framework apps (parse, route, check, sign, render,
encode) in the most direct way, without any framework.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from collections.abc import Iterable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import unquote

import jinja2
import multipart

from bench.apps.common import FORM_FIELDS
from bench.apps.common import ITEMS
from bench.apps.common import SECRET_KEY
from bench.apps.common import SESSION_MAX_AGE
from bench.apps.common import STATIC_DIR
from bench.apps.common import TEMPLATES_DIR
from bench.apps.common import TITLE

StartResponse = Callable[..., Any]
FIELD_NAMES = [f"f{i}" for i in range(FORM_FIELDS)]
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
_KEY = hashlib.sha256(SECRET_KEY.encode()).digest()
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True
)


def _reply(
    start_response: StartResponse,
    body: str | bytes,
    ctype: str = HTML,
    status: str = "200 OK",
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    headers = [("Content-Type", ctype), ("Content-Length", str(len(data)))]
    if extra:
        headers.extend(extra)
    start_response(status, headers)
    return [data]


def _cookies(environ: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out.setdefault(name, value)
    return out


def _sign(payload: bytes) -> str:
    data = base64.urlsafe_b64encode(payload).rstrip(b"=")
    stamp = base64.urlsafe_b64encode(int(time.time()).to_bytes(5, "big"))
    msg = data + b"." + stamp.rstrip(b"=")
    sig = hmac.new(_KEY, msg, hashlib.sha256).digest()
    return (msg + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()


def _unsign(value: str) -> dict[str, Any]:
    try:
        msg, _, sig = value.encode().rpartition(b".")
        good = hmac.new(_KEY, msg, hashlib.sha256).digest()
        if not hmac.compare_digest(base64.urlsafe_b64encode(good).rstrip(b"="), sig):
            return {}
        data, _, stamp = msg.partition(b".")
        issued = int.from_bytes(
            base64.urlsafe_b64decode(stamp + b"=" * (-len(stamp) % 4)), "big"
        )
        if time.time() - issued > SESSION_MAX_AGE:
            return {}
        loaded = json.loads(base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4)))
        return loaded if isinstance(loaded, dict) else {}
    except (ValueError, TypeError):
        return {}


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _plaintext(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    return _reply(sr, "Hello, World!", TEXT)


def _json(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    body = json.dumps({"message": "Hello, World!"}, separators=(",", ":"))
    return _reply(sr, body, "application/json")


def _query(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    args: dict[str, list[str]] = {}
    for name, value in parse_qsl(
        environ.get("QUERY_STRING", ""), keep_blank_values=True
    ):
        args.setdefault(name, []).append(value)
    tags = ",".join(args.get("tag", []))
    rid = environ["HTTP_X_REQUEST_ID"]
    return _reply(sr, f"{args['a'][0]}|{args['b'][0]}|{args['c'][0]}|{tags}|{rid}")


def _form(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    if not environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return _reply(sr, "Bad Request", status="400 Bad Request")
    form: dict[str, str] = {}
    for name, value in parse_qsl(
        _read_body(environ).decode("latin-1"), keep_blank_values=True
    ):
        form.setdefault(name, value)
    return _reply(sr, "|".join([form[name] for name in FIELD_NAMES]))


def _cookie(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    visits = int(_cookies(environ).get("visits", "0"))
    cookie = f"visits={visits + 1}; HttpOnly; Path=/; SameSite=Lax"
    return _reply(sr, f"visits {visits}", extra=[("Set-Cookie", cookie)])


def _session(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    raw = _cookies(environ).get("session")
    data = _unsign(raw) if raw else {}
    count = data.get("count", 0)
    data["count"] = count + 1
    cookie = f"session={_sign(json.dumps(data).encode())}; HttpOnly; Path=/"
    extra = [("Set-Cookie", cookie), ("Vary", "Cookie")]
    return _reply(sr, f"count {count}", extra=extra)


def _template(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    body = _ENV.get_template("items.html").render(title=TITLE, items=ITEMS)
    return _reply(sr, body)


def _upload(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    _forms, files = multipart.parse_form_data(environ)
    file = files["file"]
    data = file.file.read()
    return _reply(sr, f"{file.filename} {len(data)}")


def _static(environ: dict[str, Any], sr: StartResponse, name: str) -> Iterable[bytes]:
    path = os.path.realpath(os.path.join(STATIC_DIR, name))
    if not path.startswith(str(STATIC_DIR) + os.sep) or not os.path.isfile(path):
        return _not_found(environ, sr)
    st = os.stat(path)
    etag = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        sr("304 Not Modified", [("ETag", etag)])
        return []
    with open(path, "rb") as f:
        data = f.read()
    extra = [("ETag", etag), ("Last-Modified", formatdate(st.st_mtime, usegmt=True))]
    return _reply(sr, data, TEXT, extra=extra)


def _not_found(environ: dict[str, Any], sr: StartResponse) -> list[bytes]:
    return _reply(sr, "<h1>Not Found</h1>", status="404 Not Found")


Handler = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RawApp:
    """Route by exact path, then by first segment for the rules with an int."""

    def __init__(self, routes: int, kind: str) -> None:
        self.exact: dict[tuple[str, str], Handler] = {
            ("GET", "/plaintext"): _plaintext,
            ("GET", "/json"): _json,
            ("GET", "/query"): _query,
            ("POST", "/form"): _form,
            ("GET", "/cookie"): _cookie,
            ("GET", "/session"): _session,
            ("GET", "/template"): _template,
            ("POST", "/upload"): _upload,
        }
        self.static_names: dict[str, str] = {}
        self.numbered: dict[str, str] = {"users": "user #{id:d}"}
        for i in range(routes):
            if kind == "static":
                self.static_names[f"/s{i}"] = f"s{i}"
            else:
                self.numbered[f"r{i}"] = f"r{i} {{id:d}}"

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        path = unquote(environ.get("PATH_INFO", "/"), "latin-1")
        method = environ["REQUEST_METHOD"]
        handler = self.exact.get((method, path))
        if handler is not None:
            return handler(environ, start_response)
        if method == "GET":
            name = self.static_names.get(path)
            if name is not None:
                return _reply(start_response, name)
            if path.startswith("/static/"):
                return _static(environ, start_response, path[8:])
            parts = path.split("/")
            if len(parts) == 3:
                fmt = self.numbered.get(parts[1])
                if fmt is not None and parts[2].isdigit() and parts[2].isascii():
                    return _reply(start_response, fmt.format(id=int(parts[2])))
        return _not_found(environ, start_response)


def create_app(routes: int = 0, kind: str = "dynamic") -> Any:
    """Build the raw WSGI app with ``routes`` extra rules of ``kind``."""
    return RawApp(routes, kind)
