"""``werkzeug.datastructures`` names erlen keeps elsewhere or does not need."""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from collections.abc import Iterable

from erlen.datastructures import ImmutableDict
from erlen.http import ContentRange as ContentRange
from erlen.http import ETags as ETags
from erlen.http import IfRange as IfRange
from erlen.http import Range as Range

__all__ = [
    "CallbackDict",
    "ContentRange",
    "ETags",
    "HeaderSet",
    "IfRange",
    "ImmutableTypeConversionDict",
    "Range",
    "TypeConversionDict",
]

K = t.TypeVar("K")
V = t.TypeVar("V")


class TypeConversionDict(dict[K, V]):
    """A dict whose ``get`` converts with ``type``, returning the default on error."""

    def get(  # type: ignore[override]
        self, key: K, default: t.Any = None, type: Callable[[V], t.Any] | None = None
    ) -> t.Any:
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default


class ImmutableTypeConversionDict(ImmutableDict[K, V], TypeConversionDict[K, V]):  # type: ignore[misc]
    """A read-only :class:`TypeConversionDict`."""


class CallbackDict(dict[K, V]):
    """A dict that calls ``on_update(self)`` after every change."""

    def __init__(
        self,
        initial: t.Any = None,
        on_update: Callable[[CallbackDict[K, V]], None] | None = None,
    ) -> None:
        super().__init__(initial or ())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def pop(self, key: K, *args: t.Any) -> t.Any:  # type: ignore[override]
        rv = super().pop(key, *args)
        self._changed()
        return rv

    def popitem(self) -> tuple[K, V]:
        rv = super().popitem()
        self._changed()
        return rv

    def setdefault(self, key: K, default: t.Any = None) -> t.Any:
        missing = key not in self
        rv = super().setdefault(key, default)
        if missing:
            self._changed()
        return rv

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().update(*args, **kwargs)
        self._changed()


class HeaderSet:
    """A case-insensitive ordered set, as in ``Vary`` or ``Allow`` headers."""

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers = list(headers or ())
        self._set = {h.lower() for h in self._headers}
        self.on_update = on_update

    def add(self, header: str) -> None:
        if header.lower() not in self._set:
            self._set.add(header.lower())
            self._headers.append(header)
            if self.on_update is not None:
                self.on_update(self)

    def discard(self, header: str) -> None:
        key = header.lower()
        if key in self._set:
            self._set.discard(key)
            self._headers = [h for h in self._headers if h.lower() != key]
            if self.on_update is not None:
                self.on_update(self)

    def update(self, iterable: Iterable[str]) -> None:
        for header in iterable:
            self.add(header)

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        return ", ".join(self._headers)

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


def _cc_property(key: str, kind: str) -> property:
    """A Cache-Control directive as an attribute: bool, int or str."""

    def fget(self: _CacheControl) -> t.Any:
        if key not in self:
            return False if kind == "bool" else None
        value = self[key]
        if kind == "bool":
            return True
        if kind == "int":
            try:
                return int(value) if value is not None else None
            except ValueError:
                return None
        return value

    def fset(self: _CacheControl, value: t.Any) -> None:
        if value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(value)

    return property(fget, fset)


class _CacheControl(CallbackDict[str, t.Any]):
    """Parsed Cache-Control directives; unknown ones stay in the dict."""

    no_cache = _cc_property("no-cache", "bool")
    no_store = _cc_property("no-store", "bool")
    max_age = _cc_property("max-age", "int")
    no_transform = _cc_property("no-transform", "bool")

    def to_header(self) -> str:
        return ", ".join(k if v is None else f"{k}={v}" for k, v in self.items())

    def __str__(self) -> str:
        return self.to_header()


class RequestCacheControl(_CacheControl):
    max_stale = _cc_property("max-stale", "int")
    min_fresh = _cc_property("min-fresh", "int")
    only_if_cached = _cc_property("only-if-cached", "bool")


class ResponseCacheControl(_CacheControl):
    public = _cc_property("public", "bool")
    private = _cc_property("private", "bool")
    must_revalidate = _cc_property("must-revalidate", "bool")
    proxy_revalidate = _cc_property("proxy-revalidate", "bool")
    s_maxage = _cc_property("s-maxage", "int")
    immutable = _cc_property("immutable", "bool")


__all__ += ["RequestCacheControl", "ResponseCacheControl"]
