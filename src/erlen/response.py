"""The response object: a status, a header list and a body iterable.

The header list inside :class:`Headers` is the very list handed to
``start_response``, and a str or bytes body is stored encoded, ready to send,
so sending a response copies nothing.
"""

from __future__ import annotations

import json as _stdjson
import re
import typing as t
from datetime import datetime
from datetime import timedelta

from .datastructures import Headers
from .datastructures import headers_from_dict
from .globals import _cv_context
from .headersets import ResponseCacheControl
from .headersets import cache_control_property
from .headersets import header_set_property
from .http import HTTP_STATUS_CODES
from .http import dump_cookie
from .http import http_date
from .http import parse_date
from .http import parse_options_header

if t.TYPE_CHECKING:
    from .request import Request

#: "404 NOT FOUND": Werkzeug's spelling of status lines, kept for ported tests.
_STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()
}
_NO_BODY_STATUSES = frozenset({204, 304})


_CONTENT_TYPES: dict[str, str] = {}
_UNSAFE_VALUE = re.compile(r"[\r\n\0]|[^\x00-\xff]")


def _status_line(code: int) -> str:
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{code} UNKNOWN"
    return line


def _parse_status(status: str | int | t.Any) -> tuple[str, int]:
    if isinstance(status, int):
        if not 100 <= status <= 999:
            raise ValueError(f"Invalid status code {status}.")
        return _status_line(status), status
    if isinstance(status, bytes):
        status = status.decode("latin-1")
    status = str(status).strip()
    if not status:
        raise ValueError("Empty status argument")
    code_text, _, phrase = status.partition(" ")
    if not code_text.isdigit():
        return f"0 {status.upper()}", 0
    code = int(code_text)
    if not phrase:
        return _status_line(code), code
    if any(c in phrase for c in "\r\n\0"):
        raise ValueError("Status line contains a control character.")
    return f"{code} {phrase.upper()}", code


def _content_type_for(mimetype: str) -> str:
    cached = _CONTENT_TYPES.get(mimetype)
    if cached is not None:
        return cached
    if len(_CONTENT_TYPES) < 64:
        _CONTENT_TYPES[mimetype] = _add_charset(mimetype)
    return _add_charset(mimetype)


#: Header names ``add_vary`` saw pass ``Headers.add``'s checks.
_CHECKED_VARY: set[str] = set()
#: Content-Type values that passed ``_check_content_type``.  PERF: the check
#: reads every character; error pages pass the same one each time (bench `404`).
_CHECKED_TYPES: set[str] = set()


def _check_content_type(value: str) -> None:
    if not (value.isascii() and value.isprintable()) and _UNSAFE_VALUE.search(value):
        raise ValueError("Content-Type contains a control character.")
    if len(_CHECKED_TYPES) < 64:
        _CHECKED_TYPES.add(value)


def _add_charset(mimetype: str) -> str:
    if _UNSAFE_VALUE.search(mimetype):
        raise ValueError("Mimetype contains a control or non-Latin-1 character.")
    if (
        mimetype.startswith("text/")
        or mimetype
        in (
            "application/xml",
            "application/javascript",
            "application/ecmascript",
            "application/xml-dtd",
        )
        or (mimetype.startswith("application/") and mimetype.endswith("+xml"))
    ):
        if "charset" not in mimetype:
            return f"{mimetype}; charset=utf-8"
    return mimetype


def _encode_chunks(iterable: t.Iterable[t.Any]) -> t.Iterator[bytes]:
    for item in iterable:
        if isinstance(item, str):
            yield item.encode("utf-8")
        else:
            yield item


class _ClosingIterator:
    """The body as sent: calls every close callback once the server is done."""

    __slots__ = ("_iter", "_closers")

    def __init__(self, iterable: t.Iterable[bytes], closers: list[t.Any]) -> None:
        self._iter = iter(iterable)
        self._closers = closers

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._iter)

    def close(self) -> None:
        for closer in self._closers:
            closer()


class Response:
    """What a view returns: body, status and headers, sendable as WSGI.

    ``Response(body, status=200, headers=None, mimetype=None, content_type=None)``
    """

    default_status = 200
    default_mimetype: str | None = "text/html"
    charset = "utf-8"
    automatically_set_content_length = True
    autocorrect_location_header = False
    json_module: t.Any = _stdjson

    #: Set by the test client: the request that produced this response.
    request: Request | None = None
    _on_close: list[t.Callable[[], t.Any]] | tuple[()] = ()
    #: True once Content-Length was set from a str/bytes body; other bodies
    #: are measured when sent (see ``_set_length``).
    _length_set = False
    #: The body: an iterable of bytes (or str, encoded as UTF-8 when sent).
    #: A str or bytes given to the constructor or ``set_data`` is stored as a
    #: one-item list.
    response: t.Iterable[bytes] | t.Iterable[str]

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        h = Headers.__new__(Headers)
        fresh = headers is None
        if fresh:
            # PERF: trusted defaults skip Headers' validation (bench `plaintext`).
            if content_type is None:
                if mimetype is None:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = _CONTENT_TYPES.get(mimetype) or _content_type_for(
                        mimetype
                    )
            elif content_type not in _CHECKED_TYPES:
                _check_content_type(content_type)
            h._list = [] if content_type is None else [("Content-Type", content_type)]
        elif headers.__class__ is dict and content_type is None and mimetype is None:
            # PERF: a view's ``(body, {headers})`` (bench `plaintext`).
            h._list, has_type, has_length = headers_from_dict(headers)
            if not has_type and self.default_mimetype is not None:
                h._list.append(
                    ("Content-Type", _content_type_for(self.default_mimetype))
                )
            fresh = not has_length
        else:
            h = self._given_headers(headers, mimetype, content_type)
        self.headers = h
        if status is None:
            status = self.default_status
        line = _STATUS_LINES.get(status) if status.__class__ is int else None
        if line is None:
            self._status, self._status_code = _parse_status(status)
        else:
            self._status = line
            self._status_code = status  # type: ignore[assignment]
        self.direct_passthrough = direct_passthrough
        cls = response.__class__
        if cls is str:
            body = response.encode()
            self.response = [body]
            if self.automatically_set_content_length:
                if fresh:
                    h._list.append(("Content-Length", str(len(body))))
                else:
                    h.set("Content-Length", str(len(body)))
                self._length_set = True
        elif response is None:
            self.response = []
        elif cls is bytes or cls is bytearray or isinstance(response, (str, bytes)):
            self.set_data(response)
        else:
            self.response = response

    def _given_headers(
        self, headers: t.Any, mimetype: str | None, content_type: str | None
    ) -> Headers:
        """The constructor's ``headers`` (checked), with the Content-Type."""
        h = headers if isinstance(headers, Headers) else Headers(headers)
        if content_type is None:
            if mimetype is None and "content-type" not in h:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = _content_type_for(mimetype)
        if content_type is not None:
            h.set("Content-Type", content_type)
        return h

    def __repr__(self) -> str:
        if self.is_sequence:
            body = f"{sum(len(x) for x in self.response)} bytes"
        else:
            body = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body} [{self.status}]>"

    # -- status -----------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: str | int) -> None:
        self._status, self._status_code = _parse_status(value)

    @property
    def status_code(self) -> int:
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status, self._status_code = _parse_status(code)

    # -- body -------------------------------------------------------------------

    def set_data(self, value: str | bytes | bytearray) -> None:
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif isinstance(value, bytearray):
            value = bytes(value)
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers.set("Content-Length", str(len(value)))
            self._length_set = True

    def get_data(self, as_text: bool = False) -> t.Any:
        self._ensure_sequence()
        data = b"".join(self.iter_encoded())
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    data = property(get_data, set_data, doc="The body as bytes (read or set).")

    @property
    def text(self) -> str:
        return t.cast(str, self.get_data(as_text=True))

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.response, (tuple, list))

    @property
    def is_streamed(self) -> bool:
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    def _ensure_sequence(self) -> None:
        if self.is_sequence:
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response"
                " object is in direct passthrough mode."
            )
        self.make_sequence()

    def make_sequence(self) -> None:
        """Read a streamed body into memory (calls its close())."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def iter_encoded(self) -> t.Iterator[bytes]:
        return _encode_chunks(self.response)

    def freeze(self) -> None:
        self.response = list(self.iter_encoded())
        self.headers.set("Content-Length", str(sum(map(len, self.response))))

    def call_on_close(self, func: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
        if not self._on_close:
            self._on_close = []
        self._on_close.append(func)  # type: ignore[union-attr]
        return func

    def close(self) -> None:
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    # -- headers ----------------------------------------------------------------

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
        ct = self.headers.get("Content-Type")
        if ct:
            return ct.split(";")[0].strip().lower()
        return None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", _content_type_for(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.headers.get("Content-Type", ""))[1]

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value and value.isdigit() else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers.set("Content-Length", str(value))

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str) -> None:
        self.headers.set("Location", value)

    def _date_header(self, name: str) -> datetime | None:
        return parse_date(self.headers.get(name))

    def _set_date_header(self, name: str, value: datetime | int | None) -> None:
        if value is None:
            self.headers.pop(name, None)
        else:
            self.headers.set(name, http_date(value))

    expires = property(
        lambda self: self._date_header("Expires"),
        lambda self, v: self._set_date_header("Expires", v),
    )
    last_modified = property(
        lambda self: self._date_header("Last-Modified"),
        lambda self, v: self._set_date_header("Last-Modified", v),
    )
    date = property(
        lambda self: self._date_header("Date"),
        lambda self, v: self._set_date_header("Date", v),
    )

    # Live views of list and dict headers, built on access only.
    allow = header_set_property("Allow")
    vary = header_set_property("Vary")
    content_language = header_set_property("Content-Language")
    cache_control = cache_control_property(ResponseCacheControl)

    def add_vary(self, *names: str) -> None:
        """Add header names to ``Vary`` without duplicates."""
        h = self.headers
        existing = h.get("Vary")
        if existing is None and len(names) == 1:
            # PERF: the usual case, one name and no Vary yet (bench `session`);
            # a name Headers.add checked once is appended without the checks.
            name = names[0]
            if h.__class__ is not Headers or name.__class__ is not str:
                h.add("Vary", name)
            elif name in _CHECKED_VARY:
                h._list.append(("Vary", name))
            else:
                h.add("Vary", name)  # checks it, or raises
                if len(_CHECKED_VARY) < 64:
                    _CHECKED_VARY.add(name)
            return
        current = [v.strip() for v in (existing or "").split(",") if v]
        lowered = {v.lower() for v in current}
        for name in names:
            if name.lower() not in lowered:
                current.append(name)
                lowered.add(name.lower())
        self.headers.set("Vary", ", ".join(current))

    def get_etag(self) -> tuple[str | None, bool]:
        from .http import unquote_etag

        return unquote_etag(self.headers.get("ETag"))

    def set_etag(self, etag: str, weak: bool = False) -> None:
        from .http import quote_etag

        self.headers.set("ETag", quote_etag(etag, weak))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        from .http import generate_etag

        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: Request | dict[str, t.Any],
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer a GET or HEAD conditionally (304, 412, 206, 416).

        The same as :func:`erlen.files.make_conditional` (Werkzeug's method):
        returns this response, changed in place.
        """
        from .files import make_conditional

        return make_conditional(
            self, request_or_environ, accept_ranges, complete_length
        )

    # -- cookies ----------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header; bad characters raise ValueError."""
        # PERF: positional, in dump_cookie's order (bench `session`).
        value = dump_cookie(
            key,
            value,
            max_age,
            expires,
            path,
            domain,
            secure,
            httponly,
            samesite,
            partitioned,
            self._max_cookie_size(),
        )
        h = self.headers
        if h.__class__ is Headers and value.isascii():
            # PERF: dump_cookie checked every part; Headers.add would again.
            h._list.append(("Set-Cookie", value))
        else:
            h.add("Set-Cookie", value)

    def _max_cookie_size(self) -> int:
        """``MAX_COOKIE_SIZE`` of the current app, else the class default."""
        if type(self).max_cookie_size is _MAX_COOKIE_SIZE:
            # PERF: the property's body without its call (bench `session`).
            ctx = _cv_context.get(None)
            if ctx is not None:
                size = ctx.app.config.get("MAX_COOKIE_SIZE", 4093)
                return size if size.__class__ is int else int(size)
            return 4093
        return self.max_cookie_size

    @property
    def max_cookie_size(self) -> int:
        """``MAX_COOKIE_SIZE`` of the current app, else 4093 (as Flask).  A
        subclass may still set a plain class attribute instead."""
        ctx = _cv_context.get(None)
        if ctx is not None:
            size = ctx.app.config.get("MAX_COOKIE_SIZE", 4093)
            return size if size.__class__ is int else int(size)
        return 4093

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire a cookie in the browser (empty value, Max-Age=0)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- JSON -------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        mt = self.mimetype or ""
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    @property
    def json(self) -> t.Any:
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """The body parsed as JSON; None when the mimetype is not JSON.

        ``force`` parses whatever the mimetype; ``silent`` turns a parse
        error into None.  (Werkzeug's semantics, which ported tests rely on.)
        """
        if not (force or self.is_json):
            return None
        try:
            return self.json_module.loads(self.get_data())
        except ValueError:
            if not silent:
                raise
            return None

    # -- WSGI -------------------------------------------------------------------

    @classmethod
    def force_type(
        cls, response: t.Any, environ: dict[str, t.Any] | None = None
    ) -> Response:
        """Make ``response`` an instance of this class.

        A WSGI application (any callable) is run against ``environ`` and its
        output captured.
        """
        if isinstance(response, Response):
            if not isinstance(response, cls):
                response.__class__ = cls
            return response  # type: ignore[return-value]
        if environ is None:
            raise TypeError(
                "cannot convert WSGI application into response objects"
                " without an environ"
            )
        from .testing import run_wsgi_app

        body, status, headers = run_wsgi_app(response, environ)
        return cls(body, status, headers)

    def get_wsgi_headers(self, environ: dict[str, t.Any]) -> Headers:
        return self.headers

    def get_app_iter(self, environ: dict[str, t.Any]) -> t.Iterable[bytes]:
        code = self._status_code
        if (
            environ.get("REQUEST_METHOD") == "HEAD"
            or code in _NO_BODY_STATUSES
            or 100 <= code < 200
        ):
            return ()
        body = self.response
        if self.direct_passthrough:
            return body  # type: ignore[return-value]
        # PERF: a body set from str/bytes is one bytes item, ready to send.
        if body.__class__ is list and len(body) == 1 and body[0].__class__ is bytes:
            return body  # type: ignore[return-value]
        if self.is_sequence and all(type(x) is bytes for x in body):
            return body  # type: ignore[return-value]
        return _encode_chunks(body)

    def _set_length(self, code: int) -> None:
        """Add Content-Length for a list or tuple body that has none (Werkzeug
        does the same when sending): ``Response()``, ``Response([...])``."""
        if 100 <= code < 200 or not self.is_sequence:
            return
        if "content-length" in self.headers:
            return
        body = self.response
        if not all(type(x) is bytes for x in body):
            self.response = body = list(self.iter_encoded())
        self.headers._list.append(("Content-Length", str(sum(map(len, body)))))

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        code = self._status_code
        headers = self.headers._list
        if code in _NO_BODY_STATUSES:
            # No body, so no length: a stale Content-Length confuses clients.
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        elif not self._length_set and self.automatically_set_content_length:
            self._set_length(code)
        start_response(self._status, headers)
        body = self.get_app_iter(environ)
        if body is self.response and not self._on_close:
            return body  # the server calls body.close() itself, if it has one
        closers = list(self._on_close)
        if body is not self.response:
            # A wrapper (encoding, HEAD): the original body still needs closing.
            close = getattr(self.response, "close", None)
            if close is not None:
                closers.insert(0, close)
        elif hasattr(body, "close"):
            closers.insert(0, body.close)
        if closers:
            return _ClosingIterator(body, closers)
        return body


_MAX_COOKIE_SIZE = Response.__dict__["max_cookie_size"]
