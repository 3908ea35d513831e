"""``werkzeug.local``: context-local storage and a proxy that reads it.

The proxy is a subclass of erlen's own, so ``isinstance(x, LocalProxy)``
holds for ``flask.request`` as it does on Werkzeug.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from erlen.globals import LocalProxy as _ErlenProxy

__all__ = ["Local", "LocalProxy", "LocalStack", "release_local"]

_unbound = "object is not bound"


class Local:
    """An attribute namespace per context (thread or task), on a ContextVar."""

    __slots__ = ("_storage",)

    def __init__(self, context_var: ContextVar[dict[str, t.Any]] | None = None):
        if context_var is None:
            context_var = ContextVar(f"erlen.compat.Local<{id(self)}>")
        object.__setattr__(self, "_storage", context_var)

    def __iter__(self) -> t.Iterator[tuple[str, t.Any]]:
        return iter(self._storage.get({}).items())

    def __call__(self, name: str, *, unbound_message: str | None = None) -> LocalProxy:
        return LocalProxy(self, name, unbound_message=unbound_message)

    def __release_local__(self) -> None:
        self._storage.set({})

    def __getattr__(self, name: str) -> t.Any:
        values = self._storage.get({})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        values = self._storage.get({}).copy()
        values[name] = value
        self._storage.set(values)

    def __delattr__(self, name: str) -> None:
        values = self._storage.get({}).copy()
        if name not in values:
            raise AttributeError(name)
        del values[name]
        self._storage.set(values)


class LocalStack:
    """A stack per context; ``top`` is the last pushed object or None."""

    __slots__ = ("_storage",)

    def __init__(self, context_var: ContextVar[list[t.Any]] | None = None):
        if context_var is None:
            context_var = ContextVar(f"erlen.compat.LocalStack<{id(self)}>")
        self._storage = context_var

    def __release_local__(self) -> None:
        self._storage.set([])

    def push(self, obj: t.Any) -> list[t.Any]:
        stack = [*self._storage.get([]), obj]
        self._storage.set(stack)
        return stack

    def pop(self) -> t.Any:
        stack = self._storage.get([])
        if not stack:
            return None
        self._storage.set(stack[:-1])
        return stack[-1]

    @property
    def top(self) -> t.Any:
        stack = self._storage.get([])
        return stack[-1] if stack else None

    def __call__(
        self, name: str | None = None, *, unbound_message: str | None = None
    ) -> LocalProxy:
        return LocalProxy(self, name, unbound_message=unbound_message)


def release_local(local: Local | LocalStack) -> None:
    local.__release_local__()


def _make_getter(local: t.Any, name: str | None, message: str) -> t.Callable[[], t.Any]:
    if isinstance(local, ContextVar):
        var = local

        def get_var() -> t.Any:
            try:
                return var.get()
            except LookupError:
                raise RuntimeError(message) from None

        base = get_var
    elif isinstance(local, LocalStack):
        stack = local

        def get_top() -> t.Any:
            obj = stack.top
            if obj is None:
                raise RuntimeError(message)
            return obj

        base = get_top
    elif isinstance(local, Local):
        if name is None:
            raise TypeError("'name' is required when proxying a 'Local' object.")
        loc, attr = local, name

        def get_attr() -> t.Any:
            try:
                return getattr(loc, attr)
            except AttributeError:
                raise RuntimeError(message) from None

        return get_attr
    elif callable(local):
        base = local
    else:
        raise TypeError(f"Don't know how to proxy '{type(local)}'.")
    if name is None:
        return base
    attr = name

    def get_name() -> t.Any:
        obj = base()
        try:
            return getattr(obj, attr)
        except AttributeError:
            raise RuntimeError(message) from None

    return get_name


class _ProxyType(type):
    """Makes erlen's own proxies (``flask.request``) count as LocalProxy."""

    def __instancecheck__(cls, obj: object) -> bool:
        return type.__instancecheck__(cls, obj) or (
            cls is LocalProxy and type(obj) is _ErlenProxy
        )


class LocalProxy(_ErlenProxy, metaclass=_ProxyType):
    """Werkzeug's ``LocalProxy(local, name=None, *, unbound_message=None)``.

    ``local`` is a ContextVar, a :class:`Local` (with ``name``), a
    :class:`LocalStack`, or a function returning the object.
    """

    __slots__ = ("_erlen_get",)

    def __init__(  # type: ignore[override]
        self,
        local: t.Any,
        name: str | None = None,
        *,
        unbound_message: str | None = None,
    ) -> None:
        message = unbound_message or _unbound
        object.__setattr__(self, "_erlen_attr", name or "object")
        object.__setattr__(self, "_erlen_msg", message)
        object.__setattr__(self, "_erlen_get", _make_getter(local, name, message))

    def _get_current_object(self) -> t.Any:
        return self._erlen_get()

    def __getattr__(self, name: str) -> t.Any:
        if name == "__wrapped__":
            raise AttributeError(name)
        return getattr(self._erlen_get(), name)
