"""Request and response containers: MultiDict, Headers, FileStorage, Accept.

The names and behaviour follow Werkzeug's, so Flask code ports unchanged, but each
class is written for erlen's hot path: ``MultiDict`` is a plain ``dict`` of lists
that can be filled in one C-level copy, and ``Headers`` is a ``__slots__`` wrapper
around the exact list handed to ``start_response``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import copy as _copy
import re
import shutil
import typing as t
import unicodedata
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from os import PathLike
from urllib.parse import quote

from multipart import parse_options_header as _mp_parse_options

from .exceptions import BadRequestKeyError

if t.TYPE_CHECKING:
    from typing_extensions import Self

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")

_missing: t.Any = object()

#: What ``MultiDict``/``Headers`` accept as initial data or in ``update``/``extend``.
MultiSource = t.Union[
    "MultiDict[K, V]",
    Mapping[K, "V | list[V] | tuple[V, ...]"],
    Iterable[tuple[K, V]],
]


def convert_or_default(
    value: t.Any, type: t.Callable[[t.Any], t.Any], default: t.Any
) -> t.Any:
    """``type(value)``, or ``default`` when it raises ValueError or TypeError.

    What every ``get(key, default, type=int)`` here does, so ``?page=abc``
    gives the default instead of a 500.
    """
    try:
        return type(value)
    except (ValueError, TypeError):
        return default


def _iter_multi_items(source: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    """Yield (key, value) pairs from a MultiDict, a mapping of lists or pairs."""
    if isinstance(source, MultiDict):
        yield from source.items(multi=True)
    elif isinstance(source, Headers):
        yield from source._list
    elif isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, (list, tuple)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from source


# --------------------------------------------------------------------------------------
# MultiDict family
# --------------------------------------------------------------------------------------


class MultiDict(dict[K, list[V]]):
    """A dict that keeps every value sent for a key; ``md[key]`` is the first.

    Query strings and forms may repeat a key (``?tag=a&tag=b``). Storing lists in a
    real ``dict`` keeps lookups at C speed and lets the parsers build the whole
    structure in one copy. A missing key raises :exc:`BadRequestKeyError`, so
    ``request.form["x"]`` becomes a 400 instead of a 500.
    """

    __slots__ = ()

    def __init__(self, mapping: MultiSource[K, V] | None = None) -> None:
        if mapping is None:
            super().__init__()
        elif isinstance(mapping, MultiDict):
            super().__init__((k, v[:]) for k, v in dict.items(mapping))
        elif isinstance(mapping, Mapping):
            data: dict[K, list[V]] = {}
            for key, value in mapping.items():
                if isinstance(value, (list, tuple)):
                    if value:
                        data[key] = list(value)
                else:
                    data[key] = [value]
            super().__init__(data)
        else:
            # PERF: one local dict and one C-level copy beat per-pair method calls.
            data = {}
            for key, value in mapping:
                lst = data.get(key)
                if lst is None:
                    data[key] = [value]
                else:
                    lst.append(value)
            super().__init__(data)

    @classmethod
    def _from_lists(cls, data: dict[K, list[V]]) -> Self:
        """Wrap a ready ``{key: [values]}`` dict; the parsers' fast path."""
        md = cls.__new__(cls)
        dict.__init__(md, data)
        return md

    # -- reading ------------------------------------------------------------------

    def __iter__(self) -> Iterator[K]:
        # NOTE: defining __iter__ at all is what matters: CPython copies a dict
        # subclass's storage directly (value lists) only while ``tp_iter`` is
        # dict's own; with it overridden, ``dict(md)`` and ``{**md}`` go through
        # keys() and __getitem__, giving first values as Werkzeug's do.
        return dict.__iter__(self)

    def __getitem__(self, key: K) -> V:  # type: ignore[override]
        lst = dict.get(self, key)
        if lst:
            return lst[0]
        raise BadRequestKeyError(t.cast(str, key))

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(
        self, key: K, default: T | None = None, *, type: t.Callable[[V], T]
    ) -> T: ...
    @t.overload
    def get(self, key: K, default: T, type: t.Callable[[V], T]) -> T: ...

    def get(
        self,
        key: K,
        default: t.Any = None,
        type: t.Callable[[V], t.Any] | None = None,
    ) -> t.Any:
        """Return the first value for ``key``, or ``default``.

        With ``type``, the value is converted; a conversion raising ``ValueError`` or
        ``TypeError`` returns ``default``, so ``args.get("page", 1, type=int)`` is
        safe against ``?page=abc``.
        """
        lst = dict.get(self, key)
        if not lst:
            return default
        if type is None:
            return lst[0]
        return convert_or_default(lst[0], type, default)

    def getlist(
        self, key: K, type: t.Callable[[V], t.Any] | None = None
    ) -> list[t.Any]:
        """Every value for ``key`` (a new list); failed conversions are skipped."""
        lst = dict.get(self, key)
        if not lst:
            return []
        if type is None:
            return list(lst)
        result = []
        for value in lst:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Yield ``(key, first value)``, or every pair with ``multi=True``."""
        for key, values in dict.items(self):
            if multi:
                for value in values:
                    yield key, value
            else:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Yield ``(key, [values])`` pairs."""
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Yield the first value of each key."""
        for values in dict.values(self):
            yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        """Yield the value list of each key."""
        for values in dict.values(self):
            yield list(values)

    def to_dict(self, flat: bool = True) -> dict[K, t.Any]:
        """A plain dict: first values, or lists with ``flat=False``."""
        if flat:
            return {key: values[0] for key, values in dict.items(self)}
        return {key: list(values) for key, values in dict.items(self)}

    def copy(self) -> MultiDict[K, V]:
        """A shallow, mutable copy (value lists are copied)."""
        return MultiDict(self)

    def deepcopy(self, memo: dict[int, t.Any] | None = None) -> MultiDict[K, V]:
        """A mutable copy with the values deep-copied."""
        return MultiDict._from_lists(_copy.deepcopy(dict(self.lists()), memo))

    def __copy__(self) -> MultiDict[K, V]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, t.Any]) -> MultiDict[K, V]:
        return self.deepcopy(memo)

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> tuple[t.Any, ...]:
        # The default dict pickling would replay ``md[k] = v`` with first values only.
        return type(self), (list(self.items(multi=True)),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    # -- writing ------------------------------------------------------------------

    def __setitem__(self, key: K, value: V) -> None:  # type: ignore[override]
        """Replace every value of ``key`` by ``value``."""
        dict.__setitem__(self, key, [value])

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        dict.setdefault(self, key, []).append(value)

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace the values of ``key``; an empty iterable removes the key."""
        values = list(new_list)
        if values:
            dict.__setitem__(self, key, values)
        else:
            dict.pop(self, key, None)

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[override,assignment]
        """Return the first value of ``key``, first setting it to ``default``."""
        lst = dict.get(self, key)
        if lst:
            return lst[0]
        dict.__setitem__(self, key, [default])
        return default

    def setlistdefault(
        self, key: K, default_list: Iterable[V] | None = None
    ) -> list[V]:
        """Return the (live) value list of ``key``, setting it if missing."""
        lst = dict.get(self, key)
        if lst is None:
            lst = list(default_list or ())
            dict.__setitem__(self, key, lst)
        return lst

    def update(self, mapping: MultiSource[K, V]) -> None:  # type: ignore[override]
        """Add the values of ``mapping``; unlike ``dict.update`` nothing is replaced."""
        for key, value in _iter_multi_items(mapping):
            dict.setdefault(self, key, []).append(value)

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:  # type: ignore[override]
        """Remove ``key`` and return its first value."""
        lst = dict.pop(self, key, None)
        if lst:
            return lst[0]
        if default is _missing:
            raise BadRequestKeyError(t.cast(str, key))
        return default

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return all its values ([] when missing)."""
        return dict.pop(self, key, [])

    def popitem(self) -> tuple[K, V]:  # type: ignore[override]
        """Remove a key; return it with its first value."""
        try:
            key, values = dict.popitem(self)
        except KeyError:
            raise BadRequestKeyError() from None
        return key, values[0]

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove a key; return it with all its values."""
        try:
            return dict.popitem(self)
        except KeyError:
            raise BadRequestKeyError() from None


def _immutable(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class ImmutableMultiDict(MultiDict[K, V]):
    """A read-only MultiDict (``request.args``, ``request.form``); hashable."""

    __slots__ = ()

    __setitem__ = _immutable  # type: ignore[assignment]
    __delitem__ = _immutable  # type: ignore[assignment]
    add = _immutable  # type: ignore[assignment]
    setlist = _immutable  # type: ignore[assignment]
    setdefault = _immutable  # type: ignore[assignment]
    setlistdefault = _immutable  # type: ignore[assignment]
    update = _immutable  # type: ignore[assignment]
    pop = _immutable  # type: ignore[assignment]
    poplist = _immutable  # type: ignore[assignment]
    popitem = _immutable  # type: ignore[assignment]
    popitemlist = _immutable  # type: ignore[assignment]
    clear = _immutable  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items(multi=True)))

    def __copy__(self) -> ImmutableMultiDict[K, V]:  # type: ignore[override]
        return self


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """Read-only union of several MultiDicts (``request.values``: args then form).

    The values are merged once, at construction: the sources erlen passes are
    immutable, so a snapshot is equal to a live view and lookups stay dict lookups.
    """

    __slots__ = ("dicts",)

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        self.dicts = list(dicts or ())
        data: dict[K, list[V]] = {}
        for md in self.dicts:
            for key, values in dict.items(md):
                lst = data.get(key)
                if lst is None:
                    data[key] = list(values)
                else:
                    lst.extend(values)
        dict.__init__(self, data)

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> tuple[t.Any, ...]:
        return type(self), (self.dicts,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class ImmutableDict(dict[K, V]):
    """A read-only, hashable dict."""

    __slots__ = ()

    __setitem__ = _immutable  # type: ignore[assignment]
    __delitem__ = _immutable  # type: ignore[assignment]
    setdefault = _immutable  # type: ignore[assignment]
    update = _immutable  # type: ignore[assignment]
    pop = _immutable  # type: ignore[assignment]
    popitem = _immutable  # type: ignore[assignment]
    clear = _immutable  # type: ignore[assignment]

    def __ior__(self, other: t.Any) -> t.NoReturn:  # type: ignore[misc,override]
        _immutable(self)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def copy(self) -> dict[K, V]:
        """A mutable copy."""
        return dict(self)

    def __copy__(self) -> ImmutableDict[K, V]:
        return self

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> tuple[t.Any, ...]:
        return type(self), (dict(self),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------

_token_re = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# CR, LF and NUL split or truncate a header; anything past U+00FF cannot be sent.
_bad_value_re = re.compile(r"[\r\n\x00]|[^\x00-\xff]")


def _header_value(value: t.Any) -> str:
    """Convert a header value to str and refuse what could inject or not encode."""
    text: str = value if value.__class__ is str else str(value)
    # PERF: printable ASCII (the usual value) needs no regex scan.
    if text.isascii() and text.isprintable():
        return text
    bad = _bad_value_re.search(text)
    if bad is not None:
        char = bad.group()
        if char in "\r\n\x00":
            raise ValueError(
                f"Header values must not contain CR, LF or NUL (found {char!r})"
            )
        raise ValueError(
            f"Header values must be Latin-1 (found {char!r}); encode the value first"
        )
    return text


_valid_names: set[str] = set()


def _header_name(name: t.Any) -> str:
    # PERF: apps use a handful of names; remember the ones already checked.
    if name in _valid_names:
        return name  # type: ignore[no-any-return]
    if not isinstance(name, str) or _token_re.fullmatch(name) is None:
        raise ValueError(f"Invalid header name {name!r}: it must be an HTTP token")
    if len(_valid_names) < 1024:
        _valid_names.add(name)
    return name


#: Checked header names and their lowercase form (bounded, like _valid_names).
_lower_names: dict[str, str] = {}


def _lower_header_name(name: t.Any) -> str:
    """Validate ``name`` like ``_header_name``; return it lowercased (cached)."""
    lower = _lower_names.get(name)
    if lower is None:
        lower = _header_name(name).lower()
        if len(_lower_names) < 1024:
            _lower_names[name] = lower
    return lower


def headers_from_dict(
    headers: dict[t.Any, t.Any],
) -> tuple[list[tuple[str, str]], bool, bool]:
    """The header list ``Headers(headers)`` would hold, for a plain dict.

    Also says whether a Content-Type and a Content-Length are among them.
    PERF: a view's ``(body, {headers})`` needs no Headers round trip (bench
    ``plaintext``).
    """
    out: list[tuple[str, str]] = []
    has_type = has_length = False
    for key, value in headers.items():
        lower = _lower_names.get(key)
        if lower is None:
            lower = _lower_header_name(key)
        if lower == "content-type":
            has_type = True
        elif lower == "content-length":
            has_length = True
        if value.__class__ is str and value.isascii() and value.isprintable():
            out.append((key, value))
        elif isinstance(value, (list, tuple)):
            out.extend((key, _header_value(item)) for item in value)
        else:
            out.append((key, _header_value(value)))
    return out, has_type, has_length


def _quote_param(value: str) -> str:
    if _token_re.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _with_params(value: t.Any, params: Mapping[str, t.Any]) -> str:
    """Render ``value; key=value`` parameters (``filename`` as RFC 5987 if needed)."""
    parts = [str(value)]
    for key, param in params.items():
        if param is None or param is False:
            continue
        key = key.replace("_", "-")
        if param is True:
            parts.append(key)
            continue
        param = str(param)
        if key == "filename" and not param.isascii():
            ascii_name = (
                unicodedata.normalize("NFKD", param)
                .encode("ascii", "ignore")
                .decode("ascii")
            )
            parts.append(f"filename={_quote_param(ascii_name)}")
            parts.append(f"filename*=UTF-8''{quote(param, safe='')}")
        else:
            parts.append(f"{key}={_quote_param(param)}")
    return "; ".join(parts)


class Headers:
    """Ordered, multi-valued, case-insensitive HTTP headers (``Response.headers``).

    ``_list`` is the list of ``(name, value)`` str pairs given to ``start_response``
    as is. Every value set through the public API is checked: CR, LF, NUL or a
    character outside Latin-1 raise ``ValueError`` and nothing is written.
    """

    __slots__ = ("_list",)

    _list: list[tuple[str, str]]

    def __init__(self, defaults: MultiSource[str, t.Any] | None = None) -> None:
        self._list = []
        if defaults is not None:
            self.extend(defaults)

    # -- reading ------------------------------------------------------------------

    @t.overload
    def __getitem__(self, key: str) -> str: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def __getitem__(self, key: slice) -> Headers: ...

    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Headers:
        if isinstance(key, str):
            ikey = key.lower()
            for name, value in self._list:
                if name.lower() == ikey:
                    return value
            raise BadRequestKeyError(key)
        if isinstance(key, slice):
            return Headers._trusted(self._list[key])
        return self._list[key]

    @classmethod
    def _trusted(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Wrap pairs without validation (only for pairs that came from Headers)."""
        h = Headers.__new__(Headers)
        h._list = pairs
        return h

    @t.overload
    def get(self, key: str) -> str | None: ...
    @t.overload
    def get(self, key: str, default: str) -> str: ...
    @t.overload
    def get(self, key: str, default: T) -> str | T: ...
    @t.overload
    def get(
        self, key: str, default: T | None = None, *, type: t.Callable[[str], T]
    ) -> T: ...
    @t.overload
    def get(self, key: str, default: T, type: t.Callable[[str], T]) -> T: ...

    def get(
        self,
        key: str,
        default: t.Any = None,
        type: t.Callable[[str], t.Any] | None = None,
    ) -> t.Any:
        """The first value of ``key``, or ``default`` (also if ``type`` fails)."""
        ikey = key.lower()
        for pair in self._list:
            if pair[0].lower() == ikey:
                value = pair[1]
                break
        else:
            return default
        if type is None:
            return value
        return convert_or_default(value, type, default)

    def getlist(
        self, key: str, type: t.Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        """Every value of ``key`` in order; failed conversions are skipped."""
        ikey = key.lower()
        result = []
        for name, value in self._list:
            if name.lower() == ikey:
                if type is None:
                    result.append(value)
                else:
                    try:
                        result.append(type(value))
                    except (ValueError, TypeError):
                        pass
        return result

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (the ``email.message`` spelling)."""
        return self.getlist(name)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ikey = key.lower()
        return any(name.lower() == ikey for name, _ in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def keys(self, lower: bool = False) -> list[str]:
        if lower:
            return [name.lower() for name, _ in self._list]
        return [name for name, _ in self._list]

    def values(self) -> list[str]:
        return [value for _, value in self._list]

    def items(self, lower: bool = False) -> list[tuple[str, str]]:
        if lower:
            return [(name.lower(), value) for name, value in self._list]
        return list(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted((k.lower(), v) for k, v in self._list) == sorted(
            (k.lower(), v) for k, v in other._list
        )

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Headers:
        return Headers._trusted(list(self._list))

    def __copy__(self) -> Headers:
        return self.copy()

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The header list for ``start_response`` (a copy)."""
        return list(self._list)

    def __str__(self) -> str:
        """The headers as an HTTP header block, ending with an empty line."""
        return "".join(f"{name}: {value}\r\n" for name, value in self._list) + "\r\n"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"

    # -- writing ------------------------------------------------------------------

    def add(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Append a header; ``params`` become ``; key=value`` (``_`` → ``-``)."""
        if params:
            value = _with_params(value, params)
        self._list.append((_header_name(key), _header_value(value)))

    add_header = add

    def set(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Replace every ``key`` header by one, kept at the first one's position."""
        if params:
            value = _with_params(value, params)
        item = (_header_name(key), _header_value(value))
        ikey = key.lower()
        lst = self._list
        for index, pair in enumerate(lst):
            if pair[0].lower() == ikey:
                lst[index] = item
                for later in range(len(lst) - 1, index, -1):
                    if lst[later][0].lower() == ikey:
                        del lst[later]
                return
        lst.append(item)

    def setdefault(self, key: str, default: t.Any) -> str:
        """Return the first value of ``key``, first adding ``default`` if missing."""
        if key in self:
            return self[key]
        self.add(key, default)
        return self._list[-1][1]

    def setlist(self, key: str, values: Iterable[t.Any]) -> None:
        """Replace every ``key`` header by the given values; none removes it."""
        values = list(values)
        if not values:
            self.remove(key)
            return
        self.set(key, values[0])
        for value in values[1:]:
            self.add(key, value)

    def setlistdefault(self, key: str, default: Iterable[t.Any]) -> list[str]:
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Add headers from a mapping, pairs or keywords; nothing is replaced."""
        if len(args) > 1:
            raise TypeError(f"extend expected at most 1 argument, got {len(args)}")
        pairs: list[tuple[str, str]] = []
        for source in (*args, kwargs):
            for key, value in _iter_multi_items(source):
                pairs.append((_header_name(key), _header_value(value)))
        self._list.extend(pairs)

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Replace the headers named in a mapping, pairs or keywords."""
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 argument, got {len(args)}")
        for source in (*args, kwargs):
            if isinstance(source, MultiDict):
                for key, values in source.lists():
                    self.setlist(key, values)
            elif isinstance(source, Mapping):
                for key, value in source.items():
                    if isinstance(value, (list, tuple)):
                        self.setlist(key, value)
                    else:
                        self.set(key, value)
            else:
                for key, value in _iter_multi_items(source):
                    self.set(key, value)

    def remove(self, key: str) -> None:
        """Remove every ``key`` header; a missing one is not an error."""
        ikey = key.lower()
        self._list[:] = [p for p in self._list if p[0].lower() != ikey]

    def __delitem__(self, key: str | int | slice) -> None:
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def __setitem__(self, key: str | int | slice, value: t.Any) -> None:
        if isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, slice):
            self._list[key] = [(_header_name(k), _header_value(v)) for k, v in value]
        else:
            name, val = value
            self._list[key] = (_header_name(name), _header_value(val))

    def pop(self, key: str | int | None = None, default: t.Any = _missing) -> t.Any:
        """Remove and return the first value of ``key`` (or the last/indexed pair)."""
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self[key]
        except KeyError:
            if default is _missing:
                raise
            return default
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` pair."""
        return self._list.pop()

    def clear(self) -> None:
        del self._list[:]


class EnvironHeaders(Headers):
    """Read-only, case-insensitive view of the request headers in a WSGI environ.

    Lookups go straight to ``environ["HTTP_<NAME>"]``; the pair list is only built
    when the headers are iterated.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, t.Any]) -> None:
        self.environ = environ

    @property
    def _list(self) -> list[tuple[str, str]]:  # type: ignore[override]
        pairs = []
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    continue
                pairs.append((key[5:].replace("_", "-").title(), value))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                pairs.append((key.replace("_", "-").title(), value))
        return pairs

    @staticmethod
    def _environ_key(name: str) -> str:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return key
        return "HTTP_" + key

    def __getitem__(self, key: t.Any) -> t.Any:
        if isinstance(key, str):
            value = self.environ.get(self._environ_key(key))
            if value is None or (not value and key.lower().startswith("content-")):
                raise BadRequestKeyError(key)
            return value
        return super().__getitem__(key)

    def get(  # type: ignore[override]
        self,
        key: str,
        default: t.Any = None,
        type: t.Callable[[str], t.Any] | None = None,
    ) -> t.Any:
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        return convert_or_default(value, type, default)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def getlist(
        self, key: str, type: t.Callable[[str], t.Any] | None = None
    ) -> list[t.Any]:
        # WSGI servers join repeated headers into one value, so there is one at most.
        if key not in self:
            return []
        return super().getlist(key, type)

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return Headers._trusted(self._list) == other

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Headers:
        """A mutable :class:`Headers` copy."""
        return Headers._trusted(self._list)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"

    add = _immutable  # type: ignore[assignment]
    add_header = _immutable  # type: ignore[assignment]
    set = _immutable  # type: ignore[assignment]
    setdefault = _immutable  # type: ignore[assignment]
    setlist = _immutable  # type: ignore[assignment]
    setlistdefault = _immutable  # type: ignore[assignment]
    extend = _immutable  # type: ignore[assignment]
    update = _immutable  # type: ignore[assignment]
    remove = _immutable  # type: ignore[assignment]
    pop = _immutable  # type: ignore[assignment]
    popitem = _immutable  # type: ignore[assignment]
    clear = _immutable  # type: ignore[assignment]
    __setitem__ = _immutable  # type: ignore[assignment]
    __delitem__ = _immutable  # type: ignore[assignment]


# --------------------------------------------------------------------------------------
# Uploaded files
# --------------------------------------------------------------------------------------


def _strip_directories(filename: str) -> str:
    filename = filename.replace("\x00", "")
    return filename[max(filename.rfind("/"), filename.rfind("\\")) + 1 :]


class FileStorage:
    """An uploaded file (``request.files[name]``), readable like a file.

    ``filename`` never carries a directory part: browsers on Windows once sent full
    paths and a hostile client can send ``../../etc/passwd``. The client's string
    stays in ``raw_filename``. Use :func:`erlen.utils.secure_filename` before using
    a name on disk.
    """

    __slots__ = (
        "stream",
        "filename",
        "raw_filename",
        "name",
        "headers",
        "_content_length",
    )

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        if stream is None:
            import io

            stream = io.BytesIO()
        self.stream: t.IO[bytes] = stream
        if filename is None:
            stream_name = getattr(stream, "name", None)
            if isinstance(stream_name, str) and not (
                stream_name.startswith("<") and stream_name.endswith(">")
            ):
                filename = stream_name
        elif not isinstance(filename, str):
            filename = str(filename)
        self.raw_filename: str | None = filename
        self.filename: str | None = (
            None if filename is None else _strip_directories(filename)
        )
        self.name = name
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None and "content-type" not in headers:
            headers.set("Content-Type", content_type)
        self._content_length = content_length

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @property
    def content_length(self) -> int:
        if self._content_length is not None:
            return self._content_length
        value = self.headers.get("Content-Length", 0, type=int)
        return value if value >= 0 else 0

    @property
    def mimetype(self) -> str:
        """The lower-cased content type without parameters (``text/plain``)."""
        return str(_mp_parse_options(self.content_type or "")[0])

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (``{"charset": "utf-8"}``)."""
        return dict(_mp_parse_options(self.content_type or "")[1])

    def save(
        self, dst: str | PathLike[str] | t.IO[bytes], buffer_size: int = 16384
    ) -> None:
        """Copy the content to a path or an open binary file (left open)."""
        if isinstance(dst, (str, PathLike)):
            with open(dst, "wb") as fp:
                shutil.copyfileobj(self.stream, fp, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:  # closing a broken stream must not raise
            pass

    def __getattr__(self, name: str) -> t.Any:
        # read, readline, seek, tell ... go to the stream. Guard the slots so a
        # half-built object (copy, unpickling) fails cleanly instead of recursing.
        if name in FileStorage.__slots__ or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


# --------------------------------------------------------------------------------------
# Accept headers
# --------------------------------------------------------------------------------------

_MAX_ACCEPT_ITEMS = 100


class Accept(list[tuple[str, float]]):
    """A parsed ``Accept*`` header: ``(value, quality)`` pairs, best first.

    ``accept["gzip"]`` and :meth:`quality` give the client's quality for a value,
    honouring ``*``; :meth:`best_match` picks the server option the client likes
    most. ``provided`` is false when the header was absent.
    """

    __slots__ = ("provided",)

    def __init__(self, values: Iterable[tuple[str, float]] | None = ()) -> None:
        self.provided = values is not None
        items = list(values or ())
        # Stable sort: equal entries keep the client's order.
        items.sort(key=lambda item: (item[1], self._specificity(item[0])), reverse=True)
        super().__init__(items)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or item.lower() == value.lower()

    @t.overload  # type: ignore[override]
    def __getitem__(self, key: str) -> float: ...
    @t.overload
    def __getitem__(self, key: t.SupportsIndex) -> tuple[str, float]: ...
    @t.overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...

    def __getitem__(self, key: t.Any) -> t.Any:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def _match(self, value: str) -> tuple[float, tuple[bool, ...]]:
        """(quality, specificity) of the most specific entry matching ``value``.

        The most specific entry decides (RFC 9110 12.5.1), so ``text/html;q=0``
        refuses HTML even after ``*/*``.
        """
        best: tuple[tuple[bool, ...], float] | None = None
        for item, quality in self:
            if self._value_matches(value, item):
                key = (self._specificity(item), quality)
                if best is None or key > best:
                    best = key
        if best is None:
            return 0, ()
        return best[1], best[0]

    def quality(self, key: str) -> float:
        """The quality the client gives ``key`` (0 if not accepted)."""
        return self._match(key)[0]

    def __contains__(self, value: object) -> bool:
        """True if the client accepts ``value`` (quality above 0)."""
        return isinstance(value, str) and self._match(value)[0] > 0

    def values(self) -> Iterator[str]:
        """The accepted values, best first."""
        for item, _ in self:
            yield item

    @property
    def best(self) -> str | None:
        """The client's favourite value, or None."""
        return self[0][0] if self else None

    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """The entry of ``matches`` the client prefers, or ``default``.

        Higher quality wins, then the more specific client entry (``text/html``
        beats ``text/*``), then the earlier entry of ``matches``.
        """
        result = default
        best: tuple[float, tuple[bool, ...]] = (0, ())
        for server_value in matches:
            match = self._match(server_value)
            if match[0] > 0 and match > best:
                best = match
                result = server_value
        return result

    def to_header(self) -> str:
        return ",".join(
            item if quality == 1 else f"{item};q={quality:g}" for item, quality in self
        )

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


def _split_mime(value: str) -> tuple[str, str, bool]:
    """``text/html; level=1`` → ("text", "html", has_params)."""
    mime, sep, _ = value.partition(";")
    main, slash, sub = mime.strip().lower().partition("/")
    if not slash:
        if main == "*":
            return "*", "*", bool(sep)
        return "", "", False
    return main.strip(), sub.strip(), bool(sep)


class MIMEAccept(Accept):
    """``Accept``: matches ``*/*`` and ``text/*`` wildcards."""

    __slots__ = ()

    def _specificity(self, value: str) -> tuple[bool, ...]:
        main, sub, params = _split_mime(value)
        return (main != "*", sub != "*", params)

    def _value_matches(self, value: str, item: str) -> bool:
        v_main, v_sub, _ = _split_mime(value)
        i_main, i_sub, _ = _split_mime(item)
        if not v_main or not i_main:
            return False
        if i_main == "*":
            return i_sub == "*" or i_sub == v_sub
        return i_main == v_main and (i_sub == "*" or i_sub == v_sub)

    @property
    def accept_html(self) -> bool:
        return self.quality("text/html") > 0 or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        return (
            self.quality("application/xhtml+xml") > 0
            or self.quality("application/xml") > 0
        )

    @property
    def accept_json(self) -> bool:
        return self.quality("application/json") > 0


def _norm_language(value: str) -> str:
    return value.strip().lower().replace("_", "-")


class LanguageAccept(Accept):
    """``Accept-Language``: ``en_US`` equals ``en-us``; ``en`` falls back."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _norm_language(item) == _norm_language(value)

    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """As :meth:`Accept.best_match`, then by primary language (``en-US``~``en``)."""
        matches = list(matches)
        result = super().best_match(matches, None)
        if result is not None:
            return result
        # A plain Accept: a LanguageAccept would fall back again, forever,
        # whenever nothing matches (or the header is missing).
        primary = Accept([(_norm_language(item).split("-")[0], q) for item, q in self])
        result = primary.best_match(
            [_norm_language(m).split("-")[0] for m in matches], None
        )
        if result is not None:
            for match in matches:
                if _norm_language(match).split("-")[0] == result:
                    return match
        return default


def _norm_charset(value: str) -> str:
    try:
        return codecs.lookup(value).name
    except LookupError:
        return value.lower()


class CharsetAccept(Accept):
    """``Accept-Charset``: ``utf8`` equals ``UTF-8``."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _norm_charset(item) == _norm_charset(value)


AcceptT = t.TypeVar("AcceptT", bound=Accept)


@t.overload
def parse_accept_header(value: str | None) -> Accept: ...
@t.overload
def parse_accept_header(value: str | None, cls: type[AcceptT]) -> AcceptT: ...


def parse_accept_header(value: str | None, cls: type[Accept] = Accept) -> Accept:
    """Parse an ``Accept*`` header; malformed entries are skipped, never raised.

    Only the first 100 entries are read, so a huge header costs bounded work.
    """
    if not value:
        return cls(None)
    result = []
    for index, entry in enumerate(value.split(",")):
        if index >= _MAX_ACCEPT_ITEMS:
            break
        item, _, params = entry.partition(";")
        item = item.strip()
        if not item or _bad_value_re.search(item):
            continue
        quality = 1.0
        extra = []
        valid = True
        for param in params.split(";") if params else ():
            key, _, val = param.partition("=")
            key = key.strip().lower()
            if key == "q":
                try:
                    quality = float(val.strip())
                except ValueError:
                    valid = False
                    break
                if not 0 <= quality <= 1:  # also rejects nan
                    valid = False
                    break
            elif key:
                extra.append(f"{key}={val.strip()}")
        if valid:
            if extra:
                item = ";".join([item, *extra])
            result.append((item, quality))
    return cls(result)


# --------------------------------------------------------------------------------------
# Authorization
# --------------------------------------------------------------------------------------

_auth_param_re = re.compile(
    r'\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)'
)


def _parse_auth_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _auth_param_re.finditer(value):
        key, val = match.group(1).lower(), match.group(2)
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        params[key] = val
        if len(params) >= 50:
            break
    return params


class Authorization:
    """A parsed ``Authorization`` header: Basic credentials or a token.

    ``Authorization.from_header(request.headers.get("Authorization"))`` returns
    None for an absent or malformed header rather than raising.
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self,
        auth_type: str,
        data: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters = dict(data or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        if not value:
            return None
        scheme, _, rest = value.strip().partition(" ")
        scheme = scheme.lower()
        rest = rest.strip()
        if not scheme or not _token_re.fullmatch(scheme):
            return None
        if scheme == "basic":
            try:
                raw = base64.b64decode(rest, validate=True)
                username, sep, password = raw.decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
            if not sep:
                return None
            return cls("basic", {"username": username, "password": password})
        if not rest:
            return cls(scheme)
        if "=" in rest.rstrip("="):
            return cls(scheme, _parse_auth_params(rest))
        return cls(scheme, token=rest)

    @property
    def username(self) -> str | None:
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        return self.parameters.get("password")

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.parameters.get(key, default)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters.get(key)

    def __getattr__(self, name: str) -> str | None:
        """Any other parameter, or None: ``auth.realm``, ``auth.nonce`` (as
        Werkzeug's, which digest-auth code such as Flask-HTTPAuth reads)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            parameters = object.__getattribute__(self, "parameters")
        except AttributeError:
            raise AttributeError(name) from None
        return t.cast("str | None", parameters.get(name))

    def to_header(self) -> str:
        if self.type == "basic":
            raw = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        params = ", ".join(f"{k}={_quote_param(v)}" for k, v in self.parameters.items())
        return f"{self.type.title()} {params}".rstrip()

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type!r}>"


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge, e.g. ``WWWAuthenticate("basic")``."""

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters = dict(values or {})
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        if not value:
            return None
        scheme, _, rest = value.strip().partition(" ")
        if not scheme or not _token_re.fullmatch(scheme):
            return None
        rest = rest.strip()
        if rest and "=" not in rest.rstrip("="):
            return cls(scheme, token=rest)
        return cls(scheme, _parse_auth_params(rest))

    @property
    def realm(self) -> str | None:
        return self.parameters.get("realm")

    @realm.setter
    def realm(self, value: str) -> None:
        self.parameters["realm"] = value

    def to_header(self) -> str:
        if self.token is not None:
            return _header_value(f"{self.type.title()} {self.token}")
        # Challenge parameters are always quoted, as RFC 9110's examples are.
        params = ", ".join(
            f'{k}="' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for k, v in self.parameters.items()
        )
        return _header_value(f"{self.type.title()} {params}".rstrip())

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"
