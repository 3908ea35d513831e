"""JSON API helpers: errors as JSON problems, and paginated list responses.

Errors. ``JSONErrors(app)`` (or ``enable_json_errors(blueprint)``) renders every
HTTP error -- ``abort()``, routing's 404/405, a 413 from the body limit, the
generic 500 for an unhandled exception -- as::

    {"error": {"status": 404, "title": "Not Found", "detail": "..."}}

with ``Content-Type: application/problem+json`` and the headers the status
needs (``Allow`` on 405, ``Retry-After`` on 429/503, ``WWW-Authenticate`` on
401). The fields are RFC 9457's; ``envelope=False`` drops the ``"error"``
wrapper for strict RFC 9457 clients. ``always=False`` answers JSON only to
clients that prefer it (``Accept``) and keeps the HTML pages for browsers.
:func:`json_abort` raises an error that is JSON everywhere and can carry
extra members such as ``errors={"email": ["is required"]}``.

Pagination. :func:`paginate` turns an ``erlen.db`` ``Pagination`` or a plain
sequence into ``{"items", "page", "per_page", "total", "pages"}`` with RFC
8288 ``Link`` headers (first, prev, next, last) and ``X-Total-Count``.
:func:`keyset_paginate` pages a SQLAlchemy select by a unique column with
opaque cursors, so page 10,000 costs what page 1 does.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
import typing as t
import uuid
from urllib.parse import urlencode

from . import json as _json
from .exceptions import HTTPException
from .exceptions import default_exceptions
from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .blueprints import Blueprint
    from .request import Request
    from .response import Response

PROBLEM_JSON = "application/problem+json"

# -- errors -------------------------------------------------------------------


def problem_body(
    error: HTTPException, extra: t.Mapping[str, t.Any] | None = None
) -> dict[str, t.Any]:
    """The RFC 9457 members for ``error``: status, title, detail (+ ``extra``)."""
    body: dict[str, t.Any] = {
        "status": error.code,
        "title": error.name,
        "detail": error.description or error.name,
    }
    more = getattr(error, "extra", None)
    if more:
        body.update(more)
    if extra:
        body.update(extra)
    return body


def problem_response(
    error: HTTPException,
    *,
    envelope: bool = True,
    content_type: str = PROBLEM_JSON,
    extra: t.Mapping[str, t.Any] | None = None,
) -> Response:
    """Render ``error`` as a JSON problem, keeping its status headers."""
    body = problem_body(error, extra)
    payload = {"error": body} if envelope else body
    headers = [
        (name, value)
        for name, value in error.get_headers()
        if name.lower() != "content-type"
    ]
    headers.extend(getattr(error, "extra_headers", ()))
    ctx = _cv_context.get(None)
    if ctx is not None:
        response_class: type[Response] = ctx.app.response_class
    else:
        from .response import Response as response_class
    return response_class(
        _json.dumps(payload), error.code, headers, content_type=content_type
    )


class _JSONProblem(HTTPException):
    """Mixed into a status class by :func:`json_abort`: renders as JSON."""

    extra: dict[str, t.Any]
    extra_headers: list[tuple[str, str]]

    def get_response(self, environ: t.Any = None, scope: t.Any = None) -> Response:
        if self.response is not None:
            return self.response
        return problem_response(self)


_PROBLEM_CLASSES: dict[int, type[HTTPException]] = {}


def _problem_class(code: int) -> type[HTTPException]:
    cls = _PROBLEM_CLASSES.get(code)
    if cls is None:
        base = default_exceptions.get(code)
        if base is None:
            raise LookupError(f"no exception for status code {code!r}")
        # Subclass the status class so `except NotFound` and errorhandler(404)
        # still see it, with JSON rendering in front of the HTML page.
        cls = type(base.__name__, (_JSONProblem, base), {"__module__": __name__})
        _PROBLEM_CLASSES[code] = cls
    return cls


def json_error(
    status: int,
    detail: str | None = None,
    *,
    headers: t.Iterable[tuple[str, str]] | t.Mapping[str, str] | None = None,
    **extra: t.Any,
) -> HTTPException:
    """An HTTP error that renders as a JSON problem even without JSONErrors.

    ``extra`` becomes more members of the problem (``type``, ``instance``,
    ``errors`` ...); ``headers`` are added to the response.
    """
    error = _problem_class(status)(description=detail)
    error.extra = extra  # type: ignore[attr-defined]
    if isinstance(headers, t.Mapping):
        headers = headers.items()
    error.extra_headers = list(headers or ())  # type: ignore[attr-defined]
    return error


def json_abort(
    status: int,
    detail: str | None = None,
    *,
    headers: t.Iterable[tuple[str, str]] | t.Mapping[str, str] | None = None,
    **extra: t.Any,
) -> t.NoReturn:
    """Stop with a JSON error: ``json_abort(422, errors={"name": ["required"]})``."""
    raise json_error(status, detail, headers=headers, **extra)


def client_prefers_json(request: Request) -> bool:
    """True when ``Accept`` ranks JSON above HTML.

    A tie (``*/*`` or no ``Accept``) goes to JSON only if the request itself
    sent JSON -- API clients do, browsers do not.
    """
    if not request.environ.get("HTTP_ACCEPT"):
        return request.is_json
    accept = request.accept_mimetypes
    json_q = max(accept.quality("application/json"), accept.quality(PROBLEM_JSON))
    html_q = accept.quality("text/html")
    if json_q != html_q:
        return json_q > html_q
    return json_q > 0 and request.is_json


class JSONErrors:
    """Render the HTTP errors of an app or blueprint as JSON problems.

    ``always=True`` (the default) is ``json_errors=True``: every client gets
    JSON. ``always=False`` answers JSON to clients that prefer it and leaves
    the usual HTML page for the others. Handlers you register for a code
    (``@app.errorhandler(404)``) still take precedence.

    On a blueprint, errors raised while handling its routes are covered; a
    404 for a URL that matches no route belongs to the app, as in Flask.
    """

    def __init__(
        self,
        app: Erlen | Blueprint | None = None,
        *,
        always: bool = True,
        envelope: bool = True,
        content_type: str = PROBLEM_JSON,
    ) -> None:
        self.always = always
        self.envelope = envelope
        self.content_type = content_type
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Erlen | Blueprint) -> None:
        app.register_error_handler(HTTPException, self.handle)
        extensions = getattr(app, "extensions", None)
        if isinstance(extensions, dict):
            extensions["json_errors"] = self

    def handle(self, error: HTTPException) -> Response | HTTPException:
        """The error handler: a JSON response, or the error left as it is."""
        if error.response is not None:
            return error.response  # abort(response): sent exactly as given
        if error.code is None or error.code < 400:
            return error
        if not self.always:
            ctx = _cv_context.get(None)
            if ctx is None or ctx.request is None:
                return error
            if not client_prefers_json(ctx.request):
                return error
        return problem_response(
            error, envelope=self.envelope, content_type=self.content_type
        )


def enable_json_errors(
    app_or_blueprint: Erlen | Blueprint, **options: t.Any
) -> JSONErrors:
    """``json_errors=True`` for an app or blueprint; see :class:`JSONErrors`."""
    return JSONErrors(app_or_blueprint, **options)


# -- page-number pagination -------------------------------------------------------


def _request() -> Request:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError("Pagination helpers need an active request.")
    return ctx.request


def _positive_arg(
    request: Request, name: str, default: int, maximum: int | None = None
) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        json_abort(
            400,
            f"'{name}' must be a positive integer.",
            errors={name: ["must be a positive integer"]},
        )
    value = int(raw)
    if maximum is not None and value > maximum:
        json_abort(
            400,
            f"'{name}' must be at most {maximum}.",
            errors={name: [f"must be at most {maximum}"]},
        )
    return value


def page_args(
    *,
    default_per_page: int = 20,
    max_per_page: int = 100,
    page_arg: str = "page",
    per_page_arg: str = "per_page",
) -> tuple[int, int]:
    """``(page, per_page)`` from the query string, validated (a 400 says why)."""
    request = _request()
    page = _positive_arg(request, page_arg, 1)
    per_page = _positive_arg(request, per_page_arg, default_per_page, max_per_page)
    return page, per_page


def _url_with(request: Request, endpoint: str | None, **params: t.Any) -> str:
    """An absolute URL for this list with some query parameters replaced."""
    if endpoint is not None:
        ctx = _cv_context.get()
        values = dict(request.view_args or {})
        values.update(params)
        return ctx.app.url_for(endpoint, _external=True, **values)
    query = [(k, v) for k, v in request.args.items(multi=True) if k not in params]
    query.extend((k, str(v)) for k, v in params.items() if v is not None)
    if not query:
        return request.base_url
    return f"{request.base_url}?{urlencode(query)}"


def _link_header(links: t.Iterable[tuple[str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links)


def _json_response(payload: t.Any, status: int) -> Response:
    ctx = _cv_context.get()
    response = ctx.app.json.response(payload)
    response.status_code = status
    return response


def paginate(
    source: t.Any,
    *,
    serializer: t.Callable[[t.Any], t.Any] | None = None,
    default_per_page: int = 20,
    max_per_page: int = 100,
    page_arg: str = "page",
    per_page_arg: str = "per_page",
    endpoint: str | None = None,
    status: int = 200,
) -> Response:
    """A JSON list page with ``Link`` and ``X-Total-Count`` headers.

    ``source`` is an ``erlen.db`` ``Pagination`` (anything with ``items``,
    ``page``, ``per_page`` and ``total``) or a sequence, which is sliced here
    using the validated ``page``/``per_page`` query arguments. Links keep the
    other query arguments; with ``endpoint`` they are built by ``url_for``.
    A page past the end is an empty list, not an error.
    """
    request = _request()
    if hasattr(source, "items") and hasattr(source, "per_page"):
        items = list(source.items)
        page = int(source.page)
        per_page = int(source.per_page)
        total = source.total
    else:
        page, per_page = page_args(
            default_per_page=default_per_page,
            max_per_page=max_per_page,
            page_arg=page_arg,
            per_page_arg=per_page_arg,
        )
        start = (page - 1) * per_page
        items = list(source[start : start + per_page])
        total = len(source)
    pages = None if total is None else (total + per_page - 1) // per_page
    if serializer is not None:
        items = [serializer(item) for item in items]
    payload = {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }
    response = _json_response(payload, status)

    def url(n: int) -> str:
        return _url_with(request, endpoint, **{page_arg: n, per_page_arg: per_page})

    links = [("first", url(1))]
    if page > 1:
        # From past the end, "prev" is the last page that exists.
        prev = page - 1 if pages is None else min(page - 1, max(pages, 1))
        links.append(("prev", url(prev)))
    if pages is None:
        if getattr(source, "has_next", len(items) == per_page):
            links.append(("next", url(page + 1)))
    else:
        if page < pages:
            links.append(("next", url(page + 1)))
        links.append(("last", url(max(pages, 1))))
        response.headers.set("X-Total-Count", str(total))
    response.headers.set("Link", _link_header(links))
    return response


# -- keyset (cursor) pagination -----------------------------------------------------

_CURSOR_SALT = "erlen.jsonapi.cursor"


def _tag(value: t.Any) -> t.Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, _dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if isinstance(value, decimal.Decimal):
        return {"n": str(value)}
    raise TypeError(f"cannot put a {type(value).__name__} key in a cursor")


def _untag(value: t.Any) -> t.Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        converters: dict[str, t.Callable[[str], t.Any]] = {
            "dt": _dt.datetime.fromisoformat,
            "d": _dt.date.fromisoformat,
            "u": uuid.UUID,
            "n": decimal.Decimal,
        }
        if kind in converters and isinstance(raw, str):
            return converters[kind](raw)
        raise ValueError("bad cursor value")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError("bad cursor value")


class CursorCodec:
    """Opaque cursors: signed with the app's secret key, else base64 JSON.

    Signing stops clients from forging positions (which matters when the
    column is not meant to be guessable); without a secret key the cursor is
    only encoded, still opaque to well-behaved clients.
    """

    def __init__(self, secret_key: t.Any = None, fallbacks: t.Any = None) -> None:
        self._serializer: t.Any = None
        if secret_key:
            from itsdangerous import URLSafeSerializer

            # itsdangerous signs with the last key and verifies with any.
            keys = [*(fallbacks or ()), secret_key]
            self._serializer = URLSafeSerializer(keys, salt=_CURSOR_SALT)

    def encode(self, direction: str, value: t.Any) -> str:
        data = [direction, _tag(value)]
        if self._serializer is not None:
            return str(self._serializer.dumps(data))
        raw = _json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def decode(self, cursor: str) -> tuple[str, t.Any]:
        """``(direction, key)``; a 400 for anything malformed or forged."""
        try:
            if len(cursor) > 1024:
                raise ValueError("cursor too long")
            if self._serializer is not None:
                from itsdangerous import BadData

                try:
                    data = self._serializer.loads(cursor)
                except BadData as e:
                    raise ValueError("bad signature") from e
            else:
                padded = cursor + "=" * (-len(cursor) % 4)
                data = _json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not (isinstance(data, list) and len(data) == 2):
                raise ValueError("bad cursor shape")
            direction, value = data
            if direction not in ("a", "b"):
                raise ValueError("bad cursor direction")
            return direction, _untag(value)
        except (ValueError, TypeError, binascii.Error, UnicodeError):
            json_abort(
                400, "The 'cursor' is not valid.", errors={"cursor": ["is invalid"]}
            )


def _codec_for_app() -> CursorCodec:
    app = _cv_context.get().app
    return CursorCodec(
        app.config.get("SECRET_KEY"), app.config.get("SECRET_KEY_FALLBACKS")
    )


def keyset_paginate(
    bind: t.Any,
    statement: t.Any,
    column: t.Any,
    *,
    descending: bool = False,
    serializer: t.Callable[[t.Any], t.Any] | None = None,
    scalars: bool = True,
    key: t.Callable[[t.Any], t.Any] | None = None,
    default_per_page: int = 20,
    max_per_page: int = 100,
    cursor_arg: str = "cursor",
    per_page_arg: str = "per_page",
    codec: CursorCodec | None = None,
) -> Response:
    """A JSON page of ``statement`` after/before the ``cursor`` query argument.

    ``bind`` is a SQLAlchemy ``Session`` or ``Connection``; ``column`` must be
    unique and is the only ordering (any ``ORDER BY`` on the statement is
    replaced). ``scalars=True`` yields ORM objects / first columns, False rows.
    The body is ``{"items", "per_page", "next_cursor", "prev_cursor"}`` and
    ``Link`` has first/prev/next; there is no total -- counting is the cost
    keyset pagination exists to avoid.
    """
    request = _request()
    per_page = _positive_arg(request, per_page_arg, default_per_page, max_per_page)
    codec = codec or _codec_for_app()
    raw = request.args.get(cursor_arg)
    direction, after = ("a", None) if not raw else codec.decode(raw)

    backwards = direction == "b"
    # Walking backwards flips the comparison and the order, then the rows.
    ascending = descending == backwards
    stmt = statement.order_by(None).order_by(
        column.asc() if ascending else column.desc()
    )
    if raw:
        stmt = stmt.where(column > after if ascending else column < after)
    stmt = stmt.limit(per_page + 1)
    result = bind.scalars(stmt) if scalars else bind.execute(stmt)
    rows = list(result)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()

    name = column.key
    get_key = key or (lambda row: getattr(row, name))
    next_cursor = prev_cursor = None
    if rows:
        if more or backwards:
            next_cursor = codec.encode("a", get_key(rows[-1]))
        if raw and (more or not backwards):
            prev_cursor = codec.encode("b", get_key(rows[0]))
    items = [serializer(r) for r in rows] if serializer else rows
    payload = {
        "items": items,
        "per_page": per_page,
        "next_cursor": next_cursor,
        "prev_cursor": prev_cursor,
    }
    response = _json_response(payload, 200)
    links = [("first", _url_with(request, None, **{cursor_arg: None}))]
    if prev_cursor:
        links.append(("prev", _url_with(request, None, **{cursor_arg: prev_cursor})))
    if next_cursor:
        links.append(("next", _url_with(request, None, **{cursor_arg: next_cursor})))
    response.headers.set("Link", _link_header(links))
    return response
