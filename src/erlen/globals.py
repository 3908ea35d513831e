"""The context proxies: ``request``, ``session``, ``g``, ``current_app``.

One ContextVar holds the active context (an app context or a request context);
each proxy reads one attribute of it.  Outside a context the proxies raise a
RuntimeError that says which context is missing and how to get one.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext
    from .ctx import RequestContext
    from .ctx import _AppCtxGlobals
    from .request import Request
    from .sessions import SessionMixin

_cv_context: ContextVar[AppContext | RequestContext] = ContextVar("erlen.context")

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""


def _lookup(attr: str, message: str) -> t.Any:
    try:
        ctx = _cv_context.get()
    except LookupError:
        raise RuntimeError(message) from None
    obj = getattr(ctx, attr)
    if obj is None:
        raise RuntimeError(message)
    return obj


class LocalProxy:
    """Forwards every operation to an object found in the current context.

    ``_get_current_object()`` returns the object itself, for code that must
    pass the real thing on (to another thread, or as a signal sender).
    """

    __slots__ = ("_erlen_attr", "_erlen_msg", "__wrapped__")

    def __init__(self, attr: str, message: str) -> None:
        object.__setattr__(self, "_erlen_attr", attr)
        object.__setattr__(self, "_erlen_msg", message)

    def _get_current_object(self) -> t.Any:
        try:
            obj = getattr(_cv_context.get(), self._erlen_attr)
        except LookupError:
            raise RuntimeError(self._erlen_msg) from None
        if obj is None:
            raise RuntimeError(self._erlen_msg)
        return obj

    # PERF: the common case is attribute access; keep it one frame deep.
    def __getattr__(self, name: str) -> t.Any:
        try:
            obj = getattr(_cv_context.get(), self._erlen_attr)
        except LookupError:
            raise RuntimeError(self._erlen_msg) from None
        if obj is None:
            raise RuntimeError(self._erlen_msg)
        return getattr(obj, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._get_current_object()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._get_current_object()[key]

    def __contains__(self, key: t.Any) -> bool:
        return key in self._get_current_object()

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._get_current_object())

    def __len__(self) -> int:
        return len(self._get_current_object())

    def __bool__(self) -> bool:
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._get_current_object() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get_current_object() != other)

    def __hash__(self) -> int:
        return hash(self._get_current_object())

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._get_current_object()(*args, **kwargs)

    def __dir__(self) -> list[str]:
        try:
            return dir(self._get_current_object())
        except RuntimeError:
            return []

    def __repr__(self) -> str:
        try:
            obj = self._get_current_object()
        except RuntimeError:
            return "<LocalProxy unbound>"  # Werkzeug's repr
        return repr(obj)

    def __str__(self) -> str:
        return str(self._get_current_object())

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        try:
            return type(self._get_current_object())
        except RuntimeError:
            return LocalProxy


current_app: Erlen = LocalProxy("app", _no_app_msg)  # type: ignore[assignment]
g: _AppCtxGlobals = LocalProxy("g", _no_app_msg)  # type: ignore[assignment]
request: Request = LocalProxy("request", _no_req_msg)  # type: ignore[assignment]
session: SessionMixin = LocalProxy("session", _no_req_msg)  # type: ignore[assignment]


def _current_context() -> AppContext | RequestContext | None:
    return _cv_context.get(None)
