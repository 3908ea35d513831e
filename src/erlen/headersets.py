"""Live views of list and dict headers: ``Allow``, ``Vary``, ``Cache-Control``.

``response.vary.add("Cookie")`` must change the header, so each view calls
back on change and the response writes the header again. The views are made
on access only, so a response that never touches them pays nothing.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from collections.abc import Iterable

from .http import dump_header
from .http import parse_dict_header
from .http import parse_list_header

__all__ = [
    "CallbackDict",
    "HeaderSet",
    "RequestCacheControl",
    "ResponseCacheControl",
    "cache_control_property",
    "header_set_property",
    "parse_cache_control_header",
    "parse_set_header",
]

K = t.TypeVar("K")
V = t.TypeVar("V")


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

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        if header.lower() not in self._set:
            self._set.add(header.lower())
            self._headers.append(header)
            self._changed()

    def discard(self, header: str) -> None:
        key = header.lower()
        if key in self._set:
            self._set.discard(key)
            self._headers = [h for h in self._headers if h.lower() != key]
            self._changed()

    def remove(self, header: str) -> None:
        if header not in self:
            raise KeyError(header)
        self.discard(header)

    def update(self, iterable: Iterable[str]) -> None:
        changed = False
        for header in iterable:
            if header.lower() not in self._set:
                self._set.add(header.lower())
                self._headers.append(header)
                changed = True
        if changed:
            self._changed()

    def clear(self) -> None:
        self._set.clear()
        self._headers.clear()
        self._changed()

    def find(self, header: str) -> int:
        key = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == key:
                return index
        return -1

    def index(self, header: str) -> int:
        rv = self.find(header)
        if rv < 0:
            raise IndexError(header)
        return rv

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        return ", ".join(self._headers)

    def __getitem__(self, index: int) -> str:
        return self._headers[index]

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderSet):
            return self._set == other._set
        if isinstance(other, (set, frozenset)):
            return self._set == {str(h).lower() for h in other}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

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
        return True if value is None else value

    def fset(self: _CacheControl, value: t.Any) -> None:
        if value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(value)

    return property(fget, fset, lambda self: fset(self, None))


class _CacheControl(CallbackDict[str, t.Any]):
    """Parsed Cache-Control directives; unknown ones stay in the dict."""

    no_store = _cc_property("no-store", "bool")
    max_age = _cc_property("max-age", "int")
    no_transform = _cc_property("no-transform", "bool")
    stale_if_error = _cc_property("stale-if-error", "int")

    def to_header(self) -> str:
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class RequestCacheControl(_CacheControl):
    no_cache = _cc_property("no-cache", "bool")
    max_stale = _cc_property("max-stale", "int")
    min_fresh = _cc_property("min-fresh", "int")
    only_if_cached = _cc_property("only-if-cached", "bool")


class ResponseCacheControl(_CacheControl):
    #: ``True`` when bare, else the field names it lists.
    no_cache = _cc_property("no-cache", "str")
    #: ``True`` when bare, else the field names it lists.
    private = _cc_property("private", "str")
    public = _cc_property("public", "bool")
    must_revalidate = _cc_property("must-revalidate", "bool")
    proxy_revalidate = _cc_property("proxy-revalidate", "bool")
    s_maxage = _cc_property("s-maxage", "int")
    immutable = _cc_property("immutable", "bool")
    must_understand = _cc_property("must-understand", "bool")
    stale_while_revalidate = _cc_property("stale-while-revalidate", "int")


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """A comma-separated header (``Vary``, ``Allow``) as a :class:`HeaderSet`."""
    return HeaderSet(parse_list_header(value) if value else (), on_update)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[t.Any], None] | None = None,
    cls: type[t.Any] | None = None,
) -> t.Any:
    """Cache-Control directives as a (request, unless ``cls``) cache-control dict."""
    directives = parse_dict_header(value) if value else {}
    return (cls or RequestCacheControl)(directives, on_update)


class _HasHeaders(t.Protocol):
    headers: t.Any


def header_set_property(name: str, doc: str | None = None) -> property:
    """A header as a live :class:`HeaderSet` on an object with ``headers``.

    Setting a string stores it as is, an iterable is joined, ``None`` or an
    empty set removes the header.
    """

    def write(headers: t.Any, value: t.Any) -> None:
        if isinstance(value, HeaderSet):
            value = value.to_header()
        elif isinstance(value, (list, tuple, set, frozenset)):
            value = dump_header(value)
        if not value:
            headers.pop(name, None)
        else:
            headers[name] = value

    def fget(self: _HasHeaders) -> HeaderSet:
        headers = self.headers
        return parse_set_header(headers.get(name), lambda hs: write(headers, hs))

    def fset(self: _HasHeaders, value: t.Any) -> None:
        write(self.headers, value)

    return property(fget, fset, lambda self: write(self.headers, None), doc)


def cache_control_property(cls: type[_CacheControl], writable: bool = True) -> property:
    """``Cache-Control`` as a live dict of ``cls`` (read-only for requests)."""

    def fget(self: _HasHeaders) -> t.Any:
        headers = self.headers
        if not writable:
            return parse_cache_control_header(headers.get("Cache-Control"), None, cls)

        def write(cc: _CacheControl) -> None:
            if cc:
                headers["Cache-Control"] = cc.to_header()
            else:
                headers.pop("Cache-Control", None)

        return parse_cache_control_header(headers.get("Cache-Control"), write, cls)

    return property(fget)
