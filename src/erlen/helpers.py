"""Helpers views call: url_for, redirect, make_response, flash, streaming."""

from __future__ import annotations

import functools
import html
import typing as t
from urllib.parse import quote

from .exceptions import abort as abort
from .globals import _cv_context

if t.TYPE_CHECKING:
    from .response import Response
    from .response import Response as _ResponseT

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_LOCATION_SAFE = "/%#$&'()*+,:;=?@[]~!-._"


def _ctx() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None:
        raise RuntimeError(
            "Working outside of application context. Use app.app_context()."
        )
    return ctx


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build a URL for ``endpoint``; extra values go to the query string."""
    return t.cast(
        str,
        _ctx().app.url_for(
            endpoint,
            _anchor=_anchor,
            _method=_method,
            _scheme=_scheme,
            _external=_external,
            **values,
        ),
    )


def redirect(
    location: str, code: int = 302, Response: type[_ResponseT] | None = None
) -> _ResponseT:
    """A redirect response to ``location``.

    Non-ASCII characters are percent-encoded; CR, LF or NUL make it a
    ValueError, so a header can never be split.
    """
    ctx = _cv_context.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code)  # type: ignore[no-any-return]
    return _redirect(location, code, Response)


def _redirect(
    location: str, code: int = 302, Response: type[_ResponseT] | None = None
) -> _ResponseT:
    response_class: type[_ResponseT]
    if Response is None:
        from .response import Response as default_class

        response_class = default_class
    else:
        response_class = Response
    if any(c in location for c in "\r\n\0"):
        raise ValueError("Redirect location contains a control character.")
    location = quote(location, safe=_LOCATION_SAFE)
    escaped = html.escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the"
        f' target URL: <a href="{escaped}">{escaped}</a>. If not, click the link.\n'
    )
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = location
    return response


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value into a Response, to add headers to it."""
    ctx = _ctx()
    if not args:
        return t.cast("Response", ctx.app.response_class())
    if len(args) == 1:
        args = args[0]
    return t.cast("Response", ctx.app.make_response(args))


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request (in the session)."""
    from .globals import session

    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    ctx = _ctx()
    ctx.app._signal("message_flashed", message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Pop the flashed messages (once per request; later calls see the same)."""
    ctx = _ctx()
    flashes = ctx.flashes
    if flashes is None:
        from .globals import session

        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx.flashes = flashes
    if category_filter:
        wanted = set(category_filter)
        flashes = [f for f in flashes if f[0] in wanted]
    if not with_categories:
        return [x[1] for x in flashes]
    return [tuple(x) for x in flashes]  # type: ignore[misc]


def stream_with_context(
    generator_or_function: t.Iterator[t.Any] | t.Callable[..., t.Iterator[t.Any]],
) -> t.Iterator[t.Any]:
    """Keep the request context alive while a streamed body is generated."""
    try:
        gen = iter(generator_or_function)  # type: ignore[arg-type]
    except TypeError:
        func = generator_or_function

        @functools.wraps(func)  # type: ignore[arg-type]
        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))  # type: ignore[operator]

        return decorator  # type: ignore[return-value]

    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request"
            " context is active, such as in a view function."
        )

    # A hold at the bottom of the token stack keeps the request from being
    # torn down when the view returns; the body's end releases it.
    ctx._tokens.insert(0, _HOLD)

    def generator() -> t.Iterator[t.Any]:
        try:
            yield None
            # Pushed where the body is read, not where the view ran: an async
            # view runs in another contextvars Context, and a context must be
            # popped in the Context it was pushed in.
            with ctx:
                try:
                    yield from gen
                finally:
                    close = getattr(gen, "close", None)
                    if close is not None:
                        close()
        finally:
            _release(ctx)

    wrapped = generator()
    next(wrapped)  # run to the first yield now: closing it before reading is safe
    return wrapped


#: Not a real token: :func:`stream_with_context`'s hold on a request context.
_HOLD: t.Any = object()


def _release(ctx: t.Any) -> None:
    """Drop a stream's hold; tear the request down if nothing else holds it."""
    tokens = ctx._tokens
    if _HOLD in tokens:
        tokens.remove(_HOLD)
        if not tokens:
            # Push and pop here, in this Context, so teardown runs once.
            tokens.append(_cv_context.set(ctx))
            ctx.pop()


def get_debug_flag() -> bool:
    import os

    value = os.environ.get("ERLEN_DEBUG") or os.environ.get("FLASK_DEBUG")
    return bool(value and value.lower() not in ("0", "false", "no"))


def get_load_dotenv(default: bool = True) -> bool:
    import os

    value = os.environ.get("ERLEN_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in ("0", "false", "no")


class locked_cached_property:
    """Deprecated in Flask; kept as a plain cached property."""

    def __init__(self, fget: t.Callable[[t.Any], t.Any]) -> None:
        self.fget = fget
        self.__name__ = fget.__name__
        self.__doc__ = fget.__doc__

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        value = obj.__dict__[self.__name__] = self.fget(obj)
        return value
