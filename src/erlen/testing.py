"""Test tools: build WSGI environs, call the app, keep cookies, follow redirects.

The API is Werkzeug's ``werkzeug.test`` plus Flask's ``FlaskClient``: tests
written for Flask run here by changing their imports.  Everything goes
through the app's real WSGI interface, so what a test sees is what a server
would send.
"""

from __future__ import annotations

import copy
import json as _stdjson
import mimetypes
import os
import secrets
import sys
import time
import typing as t
from collections import deque
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime
from io import BytesIO
from urllib.parse import SplitResult
from urllib.parse import quote
from urllib.parse import unquote_to_bytes
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import click.testing

from .datastructures import Authorization
from .datastructures import FileStorage
from .datastructures import Headers
from .datastructures import MultiDict
from .http import dump_cookie
from .http import parse_cookie
from .http import parse_date
from .http import parse_options_header
from .request import Request
from .response import Response

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import RequestContext
    from .sessions import SessionMixin

WSGIEnviron = dict[str, t.Any]
_B = t.TypeVar("_B", bound="BaseEnvironBuilder")
WSGIApp = t.Callable[[WSGIEnviron, t.Callable[..., t.Any]], t.Iterable[bytes]]

#: Characters a path keeps as-is when percent-encoding it (RFC 3986 pchar + "/").
_PATH_SAFE = "/:@!$&'()*+,;=~%"
#: The same for raw bytes, where a "%" is data and must be encoded.
_RAW_PATH_SAFE = "/:@!$&'()*+,;=~"
#: Characters a query string keeps; only spaces, controls and non-ASCII are quoted.
_QUERY_SAFE = "/:@!$&'()*+,;=~%?[]"
_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
#: Redirects followed before giving up (browsers stop at about 20).
MAX_REDIRECTS = 30


def _wsgi_str(path: str) -> str:
    """A percent-encoded path as the latin-1 str of its raw bytes (PEP 3333)."""
    return unquote_to_bytes(path).decode("latin-1")


def _iri_to_uri(value: str, safe: str) -> str:
    """Percent-encode what is not allowed raw; existing ``%XX`` stay."""
    if value.isascii() and value.isprintable() and " " not in value:
        return value
    return quote(value, safe=safe)


def _urlencode(items: Iterable[tuple[str, t.Any]]) -> str:
    return urlencode([(k, v) for k, v in items if v is not None], safe="!$'()*,/:;?@")


def _multi_items(source: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    """Pairs of a MultiDict, a mapping (list values repeat) or a pair list."""
    if isinstance(source, MultiDict):
        yield from source.items(multi=True)
    elif isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, list):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from source


def _split_target(path: str) -> SplitResult:
    """Split a request target; a path (even ``//x``) is never read as a host."""
    if path.startswith("/"):
        path = path.partition("#")[0]
        target, _, query = path.partition("?")
        return SplitResult("", "", target, query, "")
    return urlsplit(path)


def _content_type_for(mimetype: str) -> str:
    if mimetype.startswith("text/") and "charset" not in mimetype:
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _quote_disposition(value: str) -> str:
    # What browsers do (HTML's multipart/form-data encoding algorithm).
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    fields: Iterable[tuple[str, t.Any]], boundary: str | None = None
) -> tuple[str, bytes]:
    """Encode ``(name, value)`` pairs as multipart/form-data; values that are
    :class:`FileStorage` become file parts.  Returns ``(boundary, body)``."""
    if boundary is None:
        boundary = f"----ErlenFormBoundary{secrets.token_hex(12)}"
    out = BytesIO()
    write = out.write
    for name, value in fields:
        write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{_quote_disposition(str(name))}"'
        if isinstance(value, FileStorage):
            filename = value.raw_filename or value.filename or ""
            disposition += f'; filename="{_quote_disposition(filename)}"'
            content_type = value.content_type or "application/octet-stream"
            write(f"Content-Disposition: {disposition}\r\n".encode())
            write(f"Content-Type: {content_type}\r\n\r\n".encode())
            while True:
                chunk = value.stream.read(65536)
                if not chunk:
                    break
                write(chunk if isinstance(chunk, bytes) else chunk.encode())
        else:
            write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            write(value if isinstance(value, bytes) else str(value).encode())
        write(b"\r\n")
    write(f"--{boundary}--\r\n".encode())
    return boundary, out.getvalue()


def _file_storage(name: str, value: t.Any) -> tuple[FileStorage, bool]:
    """A FileStorage for a ``data=`` value; True when erlen opened the file."""
    if isinstance(value, FileStorage):
        return value, False
    content_type = None
    filename = None
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError(
                "a file in 'data' is (stream_or_bytes, filename[, content_type])"
            )
        stream, filename, content_type = (*value, None, None)[:3]
    else:
        stream = value
    opened = False
    if isinstance(stream, (bytes, bytearray)):
        stream = BytesIO(bytes(stream))
    elif isinstance(stream, (str, os.PathLike)):
        # Werkzeug's convention: a string is the path of a file to send.
        if filename is None:
            filename = os.fspath(stream)
        stream = open(stream, "rb")  # closed by close()
        opened = True
    if filename is None:
        stream_name = getattr(stream, "name", None)
        if isinstance(stream_name, str) and not stream_name.startswith("<"):
            filename = os.path.basename(stream_name)
    if filename and content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FileStorage(stream, filename, name, content_type), opened


def _is_file(value: t.Any) -> bool:
    return isinstance(value, (tuple, FileStorage)) or hasattr(value, "read")


class BaseEnvironBuilder:
    """Build a WSGI environ from test-client arguments (Werkzeug's EnvironBuilder).

    ``path`` may carry a query string (used when ``query_string`` is None) and
    may be a full URL, whose scheme and host then stand in for ``base_url``.
    ``data`` is a raw body (str or bytes), a file to read, or a dict of form
    fields, in which any file value (a ``(stream_or_bytes, filename[,
    content_type])`` tuple, an open file or a FileStorage) makes the body
    multipart.  ``json`` is serialised with :meth:`json_dumps`.
    """

    server_protocol = "HTTP/1.1"
    wsgi_version = (1, 0)
    request_class: type[Request] = Request
    json_dumps: t.Callable[..., str] = staticmethod(_stdjson.dumps)

    def __init__(
        self,
        path: str = "/",
        base_url: str | None = None,
        query_string: str | bytes | Mapping[str, t.Any] | None = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Headers
        | Mapping[str, t.Any]
        | Iterable[tuple[str, t.Any]]
        | None = None,
        data: t.Any = None,
        environ_base: Mapping[str, t.Any] | None = None,
        environ_overrides: Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: Authorization | tuple[str, str] | None = None,
    ) -> None:
        if isinstance(path, bytes):
            path = path.decode("utf-8")
        url = _split_target(path)
        if base_url is None and url.scheme and url.netloc:
            base_url = urlunsplit((url.scheme, url.netloc, "", "", ""))
        if query_string is None and "?" in path:
            query_string = url.query
        self.path = _iri_to_uri(url.path or "/", _PATH_SAFE)
        self.base_url = base_url  # type: ignore[assignment]
        self._set_query(query_string)
        self.method = method.upper()
        if isinstance(headers, Headers):
            headers = headers.copy()
        else:
            headers = Headers(headers)
        self.headers = headers
        if content_type is not None:
            self.content_type = content_type
        elif mimetype is not None:
            self.content_type = _content_type_for(mimetype)
        if content_length is not None:
            self.content_length = content_length
        self.errors_stream = sys.stderr if errors_stream is None else errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.input_stream = input_stream
        self.form: MultiDict[str, t.Any] = MultiDict()
        self.files: MultiDict[str, FileStorage] = MultiDict()
        self._opened: list[t.IO[bytes]] = []
        self.closed = False
        if auth is not None:
            if isinstance(auth, tuple):
                auth = Authorization(
                    "basic", {"username": auth[0], "password": auth[1]}
                )
            self.headers.set("Authorization", auth.to_header())
        self._set_body(data, json)

    def _set_query(
        self, query_string: str | bytes | Mapping[str, t.Any] | None
    ) -> None:
        self.args: MultiDict[str, t.Any] | None = None
        self._query_string: str | None = None
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        if isinstance(query_string, str):
            self._query_string = _iri_to_uri(query_string, _QUERY_SAFE)
        elif query_string is not None:
            self.args = MultiDict(list(_multi_items(query_string)))

    def _set_body(self, data: t.Any, json: t.Any) -> None:
        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if data is None:
            return
        if self.input_stream is not None:
            raise TypeError("can't provide input stream and data")
        self._set_data(data)

    def _set_data(self, data: t.Any) -> None:
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(data, (bytes, bytearray)):
            self.input_stream = BytesIO(bytes(data))
            if self.content_length is None:
                self.content_length = len(data)
            return
        for key, value in _multi_items(data):
            if _is_file(value):
                storage, opened = _file_storage(key, value)
                if opened:
                    self._opened.append(storage.stream)
                self.files.add(key, storage)
            else:
                self.form.add(key, value)
        if self.content_type is None:
            self.content_type = (
                "multipart/form-data"
                if self.files
                else "application/x-www-form-urlencoded"
            )

    @classmethod
    def from_environ(cls: type[_B], environ: WSGIEnviron, **kwargs: t.Any) -> _B:
        """A builder that recreates ``environ``; ``kwargs`` override its parts."""
        headers = Headers()
        for key, value in environ.items():
            if key.startswith("HTTP_") and key not in (
                "HTTP_HOST",
                "HTTP_CONTENT_TYPE",
                "HTTP_CONTENT_LENGTH",
            ):
                headers.add(key[5:].replace("_", "-").title(), value)
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        scheme = environ.get("wsgi.url_scheme", "http")
        root = quote(environ.get("SCRIPT_NAME", "").encode("latin-1"), _RAW_PATH_SAFE)
        out: dict[str, t.Any] = {
            "path": quote(
                environ.get("PATH_INFO", "").encode("latin-1"), _RAW_PATH_SAFE
            )
            or "/",
            "base_url": f"{scheme}://{host}{root}",
            "query_string": environ.get("QUERY_STRING", ""),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE") or None,
            "content_length": environ.get("CONTENT_LENGTH") or None,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
        }
        out.update(kwargs)
        return cls(**out)

    # -- URL parts --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``scheme://host/script_root/``; setting it splits it into those parts."""
        return (
            urlunsplit((self.url_scheme, self.host, self.script_root, "", "")).rstrip(
                "/"
            )
            + "/"
        )

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, root = "http", "localhost", ""
        else:
            scheme, netloc, root, qs, anchor = urlsplit(value)
            if qs or anchor:
                raise ValueError("base url must not contain a query string or fragment")
        self.script_root = _iri_to_uri(root.rstrip("/"), _PATH_SAFE)
        self.host = netloc
        self.url_scheme = scheme

    @property
    def server_name(self) -> str:
        host = self.host
        if host.startswith("["):
            return host.partition("]")[0] + "]"
        return host.split(":", 1)[0]

    @property
    def server_port(self) -> int:
        host = self.host
        if host.startswith("["):
            host = host.partition("]")[2]
        _, sep, port = host.rpartition(":")
        if sep and port.isdigit():
            return int(port)
        return 443 if self.url_scheme == "https" else 80

    @property
    def query_string(self) -> str:
        """The query string: as given, or encoded from ``args``."""
        if self._query_string is not None:
            return self._query_string
        if self.args:
            return _urlencode(self.args.items(multi=True))
        return ""

    @query_string.setter
    def query_string(self, value: str | None) -> None:
        self._query_string = value
        self.args = None

    # -- body description -------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("Content-Type", None)
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        ct = self.content_type
        return parse_options_header(ct)[0].lower() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = _content_type_for(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.content_type or "")[1]

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value and value.strip().isdigit() else None

    @content_length.setter
    def content_length(self, value: int | str | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers.set("Content-Length", str(value))

    # -- output -----------------------------------------------------------------

    def _body(self) -> tuple[t.IO[bytes], int | None, str | None]:
        """The input stream, its length and content type."""
        content_type = self.content_type
        length = self.content_length
        stream = self.input_stream
        mimetype = self.mimetype
        if stream is not None:
            if length is None and stream.seekable():
                start = stream.tell()
                length = stream.seek(0, 2) - start
                stream.seek(start)
            return stream, length, content_type
        if mimetype == "multipart/form-data":
            pairs = [*self.form.items(multi=True), *self.files.items(multi=True)]
            boundary, body = encode_multipart(pairs)
            content_type = f'multipart/form-data; boundary="{boundary}"'
            return BytesIO(body), len(body), content_type
        if mimetype == "application/x-www-form-urlencoded":
            body = _urlencode(self.form.items(multi=True)).encode("ascii")
            return BytesIO(body), len(body), content_type
        return BytesIO(), length, content_type

    def get_environ(self) -> WSGIEnviron:
        """The WSGI environ: native latin-1 strings, ``wsgi.input`` a stream."""
        stream, length, content_type = self._body()
        qs = self.query_string
        target = (
            f"{self.script_root}{self.path}?{qs}"
            if qs
            else self.script_root + self.path
        )
        environ: WSGIEnviron = dict(self.environ_base or ())
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _wsgi_str(self.script_root),
                "PATH_INFO": _wsgi_str(self.path),
                "QUERY_STRING": qs,
                "REQUEST_URI": target,
                "RAW_URI": target,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if length is not None:
            environ["CONTENT_LENGTH"] = str(length)
        # Headers win over environ_base; repeated ones are joined with ", ".
        combined: dict[str, list[str]] = {}
        for name, value in self.headers._list:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                combined.setdefault(f"HTTP_{key}", []).append(value)
        for key, values in combined.items():
            environ[key] = ", ".join(values)
        if self.environ_overrides:
            environ.update(self.environ_overrides)
        return environ

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """A request object (``request_class`` unless ``cls``) for the environ."""
        if cls is None:
            cls = self.request_class
        return cls(self.get_environ())

    def close(self) -> None:
        """Close the files given in ``data`` (and those opened from paths)."""
        if self.closed:
            return
        for storage in self.files.values():
            storage.close()
        for f in self._opened:
            f.close()
        self.closed = True


def create_environ(*args: t.Any, **kwargs: t.Any) -> WSGIEnviron:
    """An environ from :class:`BaseEnvironBuilder` arguments."""
    builder = BaseEnvironBuilder(*args, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _is_app(obj: t.Any) -> bool:
    return not isinstance(obj, (str, bytes)) and hasattr(obj, "config")


class EnvironBuilder(BaseEnvironBuilder):
    """Flask's builder: ``EnvironBuilder(app, path="/", base_url=None,
    subdomain=None, url_scheme=None, ...)``.

    Without ``base_url`` the URL comes from the app's ``SERVER_NAME``,
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``, and ``json=`` is
    serialised by ``app.json``.  Called without an app (the first argument a
    path), it behaves as :class:`BaseEnvironBuilder`.
    """

    app: Erlen | None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        if args and _is_app(args[0]):
            self._init_app(*args, **kwargs)
        elif kwargs.get("app") is not None:
            self._init_app(kwargs.pop("app"), *args, **kwargs)
        else:
            kwargs.pop("app", None)
            self.app = None
            super().__init__(*args, **kwargs)

    def _init_app(
        self,
        app: Erlen,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise TypeError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        self.app = app
        if base_url is None:
            config = app.config
            http_host = config.get("SERVER_NAME") or "localhost"
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = config.get("PREFERRED_URL_SCHEME") or "http"
            app_root = (config.get("APPLICATION_ROOT") or "/").lstrip("/")
            url = _split_target(path)
            base_url = (
                f"{url.scheme or url_scheme}://{url.netloc or http_host}/{app_root}"
            )
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:  # type: ignore[override]
        """Serialise ``json=`` with the app's JSON provider."""
        if self.app is None:
            return _stdjson.dumps(obj, **kwargs)
        return self.app.json.dumps(obj, **kwargs)


# -- running a WSGI app ---------------------------------------------------------


class _ResponseStart:
    """``start_response`` for one call: records status, headers and writes."""

    __slots__ = ("status", "headers", "chunks", "started")

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: deque[bytes] = deque()
        self.started = False

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: t.Any = None,
    ) -> t.Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        if data:
            self.started = True
            self.chunks.append(data)


class _AppIterator:
    """The body of a streamed call: written chunks first, then the app's."""

    __slots__ = ("_start", "_iter", "_close")

    def __init__(
        self, start: _ResponseStart, app_iter: Iterator[bytes], close: t.Any
    ) -> None:
        self._start = start
        self._iter = app_iter
        self._close = close

    def __iter__(self) -> _AppIterator:
        return self

    def __next__(self) -> bytes:
        chunks = self._start.chunks
        while not chunks:
            try:
                item = next(self._iter)
            except StopIteration:
                # Read to the end: release files and generators now, as a
                # server would, rather than when the response is collected.
                self.close()
                raise
            if item:
                self._start.started = True
            chunks.append(item)
        return chunks.popleft()

    def close(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            close()


def run_wsgi_app(
    app: WSGIApp, environ: WSGIEnviron, buffered: bool = False
) -> tuple[t.Iterable[bytes], str, Headers]:
    """Call a WSGI app; return ``(app_iter, status, headers)``.

    ``buffered`` reads the whole body and closes the app's iterable at once;
    otherwise the body is read lazily and ``close()`` on the returned iterable
    closes the app's.  Data passed to ``write()`` comes before the iterable's.
    """
    start = _ResponseStart()
    app_rv = app(environ, start)
    close = getattr(app_rv, "close", None)
    body = _AppIterator(start, iter(app_rv), close)
    if buffered:
        try:
            app_iter: t.Iterable[bytes] = list(body)
        finally:
            body.close()
    else:
        app_iter = body
        # An app may call start_response lazily, on its first chunk.
        if start.status is None:
            try:
                start.chunks.append(next(body))
            except StopIteration:
                pass
    if start.status is None:
        body.close()
        raise RuntimeError("The WSGI application did not call start_response.")
    return app_iter, start.status, Headers._trusted(start.headers)


# -- cookies --------------------------------------------------------------------


class Cookie:
    """A cookie in the test client's jar, as a browser would store it."""

    __slots__ = (
        "key",
        "value",
        "decoded_key",
        "decoded_value",
        "expires",
        "max_age",
        "domain",
        "origin_only",
        "path",
        "secure",
        "http_only",
        "same_site",
        "partitioned",
        "_expiry",
    )

    def __init__(
        self,
        key: str,
        value: str,
        decoded_key: str,
        decoded_value: str,
        expires: datetime | None,
        max_age: int | None,
        domain: str,
        origin_only: bool,
        path: str,
        secure: bool | None = None,
        http_only: bool | None = None,
        same_site: str | None = None,
        partitioned: bool = False,
    ) -> None:
        self.key = key
        self.value = value
        self.decoded_key = decoded_key
        self.decoded_value = decoded_value
        self.expires = expires
        self.max_age = max_age
        self.domain = domain
        self.origin_only = origin_only
        self.path = path
        self.secure = secure
        self.http_only = http_only
        self.same_site = same_site
        self.partitioned = partitioned
        # Max-Age wins over Expires (RFC 6265 5.3): an absolute time, fixed now.
        if max_age is not None:
            self._expiry: float | None = time.time() + max_age
        elif expires is not None:
            self._expiry = expires.timestamp()
        else:
            self._expiry = None

    def __repr__(self) -> str:
        return (
            f"<Cookie {self.key}={self.value!r} domain={self.domain} path={self.path}>"
        )

    def _should_delete(self) -> bool:
        return self._expiry is not None and self._expiry <= time.time()

    def _matches_request(
        self, server_name: str, path: str, secure: bool, browser_rules: bool = True
    ) -> bool:
        if self.secure and not secure and browser_rules:
            return False
        domain = self.domain
        if server_name != domain and (
            self.origin_only or not server_name.endswith(f".{domain}")
        ):
            return False
        cookie_path = self.path
        return (
            path == cookie_path
            or path.startswith(cookie_path)
            and (cookie_path.endswith("/") or path[len(cookie_path)] == "/")
        )

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def _from_response_header(
        cls, server_name: str, path: str, header: str, check_domain: bool = True
    ) -> Cookie | None:
        """Parse a ``Set-Cookie`` value; None when a browser would ignore it
        (a cookie for another domain is kept when ``check_domain`` is off)."""
        pair, _, attrs = header.partition(";")
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            return None
        parsed = parse_cookie(pair)
        decoded_key, decoded_value = parsed[0] if parsed else (key, value)
        params: dict[str, str | None] = {}
        for item in attrs.split(";"):
            name, has_value, param = item.partition("=")
            name = name.strip().lower()
            if name:
                params[name] = param.strip() if has_value else None
        domain = (params.get("domain") or "").lstrip(".").lower()
        origin_only = not domain
        if origin_only:
            domain = server_name
        elif (
            check_domain
            and server_name != domain
            and not server_name.endswith(f".{domain}")
        ):
            return None  # a cookie for a domain this host is not part of
        cookie_path = params.get("path") or ""
        if not cookie_path.startswith("/"):
            cookie_path = path.rpartition("/")[0] or "/"
        max_age_text = params.get("max-age")
        max_age = None
        if max_age_text and max_age_text.lstrip("-").isdigit():
            max_age = int(max_age_text)
        return cls(
            key=key,
            value=value,
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=parse_date(params.get("expires")),
            max_age=max_age,
            domain=domain,
            origin_only=origin_only,
            path=cookie_path,
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            partitioned="partitioned" in params,
        )


def _request_origin(environ: WSGIEnviron) -> tuple[str, str, bool]:
    """``(server_name, path, is_https)`` of the request an environ describes."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    if host.startswith("["):
        server_name = host.partition("]")[0] + "]"
    else:
        server_name = host.split(":", 1)[0]
    raw = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    # Percent-encoded, as cookie paths are written (dump_cookie quotes them).
    path = quote(raw.encode("latin-1"), safe=_RAW_PATH_SAFE)
    return server_name.lower(), path, environ.get("wsgi.url_scheme") == "https"


# -- the client -----------------------------------------------------------------


class ClientRedirectError(Exception):
    """A redirect loop, or more redirects than :data:`MAX_REDIRECTS`."""


class TestResponse(Response):
    """A response from the test client: the body plus the request and the
    redirect ``history`` that led to it."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        response: t.Iterable[bytes],
        status: str,
        headers: Headers,
        request: Request,
        history: tuple[TestResponse, ...] = (),
        **kwargs: t.Any,
    ) -> None:
        had_content_type = "content-type" in headers
        super().__init__(response, status, headers, **kwargs)
        if not had_content_type:
            # Show what the app sent, not this class's default mimetype.
            self.headers.pop("Content-Type", None)
        self.request = request
        self.history = history


class Client:
    """Calls a WSGI app like a browser would: cookies kept, redirects followed.

    ``response_wrapper`` is a Response class to mix :class:`TestResponse`
    into.  ``allow_subdomain_redirects`` lets ``follow_redirects`` go to a
    subdomain of the current host; other hosts are never followed.
    """

    __test__ = False

    environ_builder_class: type[BaseEnvironBuilder] = BaseEnvironBuilder
    #: A browser's cookie rules: ``Secure`` cookies go over https only, and a
    #: cookie for a domain the host is not part of is refused.  Werkzeug's
    #: client applies neither; compat mode switches this off.
    browser_cookie_rules = True

    def __init__(
        self,
        application: WSGIApp,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
    ) -> None:
        self.application = application
        if response_wrapper in (None, Response):
            response_wrapper = TestResponse
        elif not issubclass(response_wrapper, TestResponse):  # type: ignore[arg-type]
            response_wrapper = type(
                "WrapperTestResponse", (TestResponse, response_wrapper), {}
            )
        self.response_wrapper = t.cast(type[TestResponse], response_wrapper)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = (
            {} if use_cookies else None
        )
        self.allow_subdomain_redirects = allow_subdomain_redirects

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"

    # -- cookie jar -------------------------------------------------------------

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )
        return self._cookies

    def get_cookie(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> Cookie | None:
        """The stored cookie for exactly this key, domain and path, if any."""
        cookie = self._jar().get((domain, path, key))
        if cookie is not None and cookie._should_delete():
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie as if a response had set it (``dump_cookie`` kwargs)."""
        header = dump_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie._from_response_header(domain, "/", header)
        assert cookie is not None
        cookie.origin_only = origin_only
        self._store(cookie)

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/"
    ) -> None:
        """Remove a cookie from the jar."""
        self._jar().pop((domain, path, key), None)

    def _store(self, cookie: Cookie) -> None:
        jar = self._jar()
        ident = (cookie.domain, cookie.path, cookie.decoded_key)
        if cookie._should_delete():
            jar.pop(ident, None)
        else:
            jar[ident] = cookie

    def _add_cookies_to_wsgi(self, environ: WSGIEnviron) -> None:
        """Add the cookies a browser would send to this URL."""
        if self._cookies is None:
            return
        server_name, path, secure = _request_origin(environ)
        for ident in [k for k, c in self._cookies.items() if c._should_delete()]:
            del self._cookies[ident]
        cookies = [
            c
            for c in self._cookies.values()
            if c._matches_request(server_name, path, secure, self.browser_cookie_rules)
        ]
        # RFC 6265 5.4: longer paths first.
        cookies.sort(key=lambda c: len(c.path), reverse=True)
        if cookies:
            # A Cookie header the test gave explicitly is kept, jar cookies after it.
            given = environ.get("HTTP_COOKIE")
            jar = "; ".join(c._to_request_header() for c in cookies)
            environ["HTTP_COOKIE"] = f"{given}; {jar}" if given else jar

    def _update_cookies_from_response(
        self, server_name: str, path: str, headers: list[str]
    ) -> None:
        if self._cookies is None:
            return
        for header in headers:
            cookie = Cookie._from_response_header(
                server_name, path, header, self.browser_cookie_rules
            )
            if cookie is not None:
                self._store(cookie)

    # -- requests ---------------------------------------------------------------

    def run_wsgi_app(
        self, environ: WSGIEnviron, buffered: bool = False
    ) -> tuple[t.Iterable[bytes], str, Headers]:
        """Run the app with the jar's cookies; store the ones it sets."""
        self._add_cookies_to_wsgi(environ)
        rv = run_wsgi_app(self.application, environ, buffered=buffered)
        if self._cookies is not None:
            server_name, path, _ = _request_origin(environ)
            self._update_cookies_from_response(
                server_name, path, rv[2].getlist("Set-Cookie")
            )
        return rv

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> Request:
        builder = self.environ_builder_class(*args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def _request_from(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> Request:
        if args and isinstance(args[0], BaseEnvironBuilder):
            return args[0].get_request()
        if args and isinstance(args[0], dict):
            return Request(args[0])
        if args and isinstance(args[0], Request):
            return args[0]
        return self._request_from_builder_args(args, kwargs)

    def open(
        self,
        *args: t.Any,
        buffered: bool | None = None,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response.

        Takes :class:`EnvironBuilder` arguments, or a builder, an environ
        dict or a Request.  The body is read before this returns (and the
        app's iterable closed) unless ``buffered=False`` asks for a streamed
        response, read as ``response.response`` is iterated.  With
        ``follow_redirects`` the final response's ``history`` holds the
        redirects that led to it.
        """
        request = self._request_from(args, kwargs)
        status_body = self.run_wsgi_app(request.environ, buffered=buffered is not False)
        response = self.response_wrapper(*status_body, request=request)
        if not follow_redirects:
            return response
        history: list[TestResponse] = []
        seen: set[tuple[str | None, int]] = set()
        while response.status_code in _REDIRECT_CODES:
            if buffered is False:
                response.make_sequence()
                response.close()
            entry = (response.location, response.status_code)
            if entry in seen or len(history) >= MAX_REDIRECTS:
                raise ClientRedirectError(
                    f"Redirect loop detected: {response.status_code} to"
                    f" {response.location!r} after {len(history)} redirects."
                )
            seen.add(entry)
            response.history = tuple(history)
            history.append(response)
            response = self.resolve_redirect(response, buffered=buffered)
        response.history = tuple(history)
        response.call_on_close(request.close)
        return response

    def resolve_redirect(
        self, response: TestResponse, buffered: bool | None = None
    ) -> TestResponse:
        """Perform the request a browser would make for a redirect response."""
        request = response.request
        assert request is not None
        location = urljoin(
            request.url if _has_host(request) else "", response.location or ""
        )
        scheme, netloc, path, qs, _anchor = urlsplit(location)
        builder = self.environ_builder_class.from_environ(
            request.environ, path=path or "/", query_string=qs
        )
        from_parts = builder.server_name.lower().split(".")
        to_parts = netloc.split(":", 1)[0].lower().split(".") if netloc else from_parts
        # The jar sends the cookies for the new URL, as a browser would.
        builder.headers.pop("Cookie", None)
        if netloc:
            builder.url_scheme = scheme or builder.url_scheme
            builder.host = netloc
        if to_parts != from_parts:
            if to_parts[-len(from_parts) :] == from_parts:
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")
        root = builder.script_root
        if root and (path == root or path.startswith(root + "/")):
            builder.path = path[len(root) :] or "/"
        else:
            builder.path = path or "/"
            builder.script_root = ""
        if response.status_code in (307, 308):
            stream = builder.input_stream
            if stream is not None and stream.seekable():
                stream.seek(0)
        else:
            # Everything but HEAD becomes a GET without a body.
            if builder.method != "HEAD":
                builder.method = "GET"
            builder.input_stream = None
            builder.content_type = None
            builder.content_length = None
            builder.headers.pop("Transfer-Encoding", None)
        return self.open(builder, buffered=buffered)

    def get(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "GET"
        return self.open(*args, **kw)

    def post(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "POST"
        return self.open(*args, **kw)

    def put(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "PUT"
        return self.open(*args, **kw)

    def patch(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "PATCH"
        return self.open(*args, **kw)

    def delete(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "DELETE"
        return self.open(*args, **kw)

    def head(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "HEAD"
        return self.open(*args, **kw)

    def options(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "OPTIONS"
        return self.open(*args, **kw)

    def trace(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = "TRACE"
        return self.open(*args, **kw)


def _has_host(request: Request) -> bool:
    try:
        request.url  # noqa: B018 - validates the Host
    except Exception:
        return False
    return True


class ErlenClient(Client):
    """What ``app.test_client()`` returns (Flask's FlaskClient).

    ``with client:`` keeps the context of the last request pushed after it
    returns, so ``request`` and ``session`` can be inspected; it is popped by
    the next request or at the end of the block.
    """

    application: Erlen
    #: The ``User-Agent`` requests send; ``None`` means ``Erlen/<version>``.
    default_user_agent: str | None = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        import erlen

        self.preserve_context = False
        self._pending: RequestContext | None = None
        self._preserved: RequestContext | None = None
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": self.default_user_agent or f"Erlen/{erlen.__version__}",
        }

    def _keep_context(self, ctx: RequestContext) -> None:
        # Called by wsgi_app just before it pops the context.
        self._pending = ctx

    def _copy_environ(self, other: Mapping[str, t.Any]) -> dict[str, t.Any]:
        out = {**self.environ_base, **other}
        if self.preserve_context:
            out["erlen.preserve_context"] = self._keep_context
        return out

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> Request:
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def _request_from(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> Request:
        if args and isinstance(args[0], BaseEnvironBuilder):
            builder = args[0]
            builder.environ_base = self._copy_environ(builder.environ_base or {})
            return builder.get_request(self.application.request_class)
        if args and isinstance(args[0], dict):
            builder = EnvironBuilder.from_environ(
                args[0], app=self.application, environ_base=self._copy_environ({})
            )
            return builder.get_request(self.application.request_class)
        if args and isinstance(args[0], Request):
            request = copy.copy(args[0])
            request.environ = self._copy_environ(request.environ)
            return request
        return self._request_from_builder_args(args, kwargs)

    def _pop_preserved(self) -> None:
        ctx, self._preserved = self._preserved, None
        if ctx is not None:
            ctx.pop()

    def open(
        self,
        *args: t.Any,
        buffered: bool | None = None,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        # A preserved context lasts until the next request, redirects included.
        self._pop_preserved()
        self._pending = None
        response = super().open(
            *args, buffered=buffered, follow_redirects=follow_redirects, **kwargs
        )
        response.json_module = self.application.json
        ctx, self._pending = self._pending, None
        if ctx is not None:
            ctx.push()
            self._preserved = ctx
        return response

    def __enter__(self) -> ErlenClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.preserve_context = False
        self._pending = None
        self._pop_preserved()

    @contextmanager
    def session_transaction(
        self, *args: t.Any, **kwargs: t.Any
    ) -> Iterator[SessionMixin]:
        """Open the session the next request will see, to read or change it.

        Arguments are :meth:`erlen.Erlen.test_request_context`'s; the
        session is saved into the client's cookies when the block ends.
        """
        jar = self._jar()
        del jar  # only checks that cookies are enabled
        app = self.application
        interface = app.session_interface
        kwargs["environ_base"] = {
            **self.environ_base,
            **(kwargs.get("environ_base") or {}),
        }
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        with ctx:
            sess = interface.open_session(app, ctx.request)
        if sess is None or interface.is_null_session(sess):
            raise RuntimeError(
                "Session backend did not open a session. Check the configuration"
                " (is SECRET_KEY set?)."
            )
        yield sess
        response = app.response_class()
        with ctx:
            interface.save_session(app, sess, response)
        server_name, path, _ = _request_origin(ctx.request.environ)
        self._update_cookies_from_response(
            server_name, path, response.headers.getlist("Set-Cookie")
        )


class ErlenCliRunner(click.testing.CliRunner):
    """A click runner for the app's commands (``app.test_cli_runner()``)."""

    def __init__(self, app: Erlen, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> click.testing.Result:
        """Run ``cli`` (default: ``app.cli``) with the app loaded."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            from .cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


__all__ = [
    "BaseEnvironBuilder",
    "Client",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "ErlenCliRunner",
    "ErlenClient",
    "TestResponse",
    "create_environ",
    "encode_multipart",
    "run_wsgi_app",
]
