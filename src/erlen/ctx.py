"""Application and request contexts.

A context is pushed onto one ContextVar (see :mod:`erlen.globals`).  A request
context doubles as the application context unless an app context of the same
app is already active, in which case it shares that context's ``g``, as Flask
does.  The session is opened the first time it is touched, never before.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import typing as t
from types import TracebackType

from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .request import Request
    from .sessions import SessionMixin

_sentinel: t.Any = object()
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """``g``: a plain namespace for data that lives as long as the context."""

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    #: The name the repr shows (compat mode says ``flask.g``).
    _repr_name = "erlen.g"

    def __repr__(self) -> str:
        from .globals import _current_context

        ctx = _current_context()
        if ctx is not None:
            return f"<{self._repr_name} of {ctx.app.name!r}>"
        return object.__repr__(self)


class AppContext:
    """Binds an application (and its ``g``) to the current context."""

    __slots__ = ("app", "_g", "_tokens", "request", "session", "_owns_app")

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self._g: _AppCtxGlobals | None = None
        self._tokens: list[contextvars.Token[t.Any]] = []
        self.request = None
        self.session = None
        self._owns_app = True

    @property
    def g(self) -> _AppCtxGlobals:
        if self._g is None:
            self._g = self.app.app_ctx_globals_class()
        return self._g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    def push(self) -> None:
        self._tokens.append(_cv_context.set(self))
        self.app._signal("appcontext_pushed")

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        try:
            if len(self._tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_context.get()
            _cv_context.reset(self._tokens.pop())
        if ctx is not self:
            raise AssertionError(
                f"Popped wrong app context. ({ctx!r} instead of {self!r})"
            )
        self.app._signal("appcontext_popped")

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)


class RequestContext:
    """Everything one request needs: the request, session, ``g`` and flashes."""

    __slots__ = (
        "app",
        "request",
        "_session",
        "_g",
        "_tokens",
        "_owns_app",
        "_after_request_functions",
        "flashes",
        "url_adapter",
        # Extensions keep per-request state on the context, as Flask allows
        # (Flask-Limiter: ``request_ctx._limiter_request_context``); the dict
        # is only made when one does.
        "__dict__",
    )

    def __init__(
        self,
        app: Erlen,
        environ: dict[str, t.Any],
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        self.request = app.request_class(environ) if request is None else request
        self._session = session
        self._g: _AppCtxGlobals | None = None
        self._tokens: list[contextvars.Token[t.Any]] = []
        self._owns_app = True
        self._after_request_functions: list[t.Callable[..., t.Any]] | None = None
        self.flashes: list[tuple[str, str]] | None = None
        self.url_adapter = None

    @property
    def g(self) -> _AppCtxGlobals:
        if self._g is None:
            self._g = self.app.app_ctx_globals_class()
        return self._g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @property
    def session(self) -> SessionMixin:
        """The session, opened on first access (PERF: bench case `plaintext`)."""
        session = self._session
        if session is None:
            session = self._session = self.app._open_session(self.request)
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def copy(self) -> RequestContext:
        """A new context for the same request, for use in another thread."""
        return self.__class__(
            self.app, self.request.environ, self.request, self._session
        )

    def _share_outer_app_context(self) -> None:
        outer = _cv_context.get(None)
        if outer is not None and outer.app is self.app:
            self._g = outer.g
            self._owns_app = False

    def push(self) -> None:
        if not self._tokens:
            self._share_outer_app_context()
        self._tokens.append(_cv_context.set(self))
        if self._owns_app and len(self._tokens) == 1:
            self.app._signal("appcontext_pushed")

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        last = len(self._tokens) == 1
        try:
            if last:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                self.request.close()
        finally:
            try:
                if last and self._owns_app:
                    self.app.do_teardown_appcontext(exc)
            finally:
                ctx = _cv_context.get()
                _cv_context.reset(self._tokens.pop())
        if ctx is not self:
            raise AssertionError(
                f"Popped wrong request context. ({ctx!r} instead of {self!r})"
            )
        if last and self._owns_app:
            self.app._signal("appcontext_popped")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.request.url!r}"
            f" [{self.request.method}] of {self.app.name}>"
        )


def has_request_context() -> bool:
    """True inside a request (for code that also runs outside one)."""
    ctx = _cv_context.get(None)
    return ctx is not None and ctx.request is not None


def has_app_context() -> bool:
    """True inside an app context (a request context counts)."""
    return _cv_context.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request only."""
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    assert isinstance(ctx, RequestContext)
    if ctx._after_request_functions is None:
        ctx._after_request_functions = []
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs in a copy of the current request context.

    For greenlets or threads started from a view: the copy shares the
    request and session but is pushed and popped on its own.
    """
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    assert isinstance(ctx, RequestContext)
    copied = ctx.copy()

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return t.cast(F, wrapper)
