"""``werkzeug.datastructures`` names erlen keeps elsewhere or does not need."""

from __future__ import annotations

import typing as t
from collections.abc import Callable

from erlen.datastructures import ImmutableDict
from erlen.datastructures import convert_or_default
from erlen.headersets import CallbackDict as CallbackDict
from erlen.headersets import HeaderSet as HeaderSet
from erlen.headersets import RequestCacheControl as RequestCacheControl
from erlen.headersets import ResponseCacheControl as ResponseCacheControl
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
        return convert_or_default(value, type, default)


class ImmutableTypeConversionDict(ImmutableDict[K, V], TypeConversionDict[K, V]):  # type: ignore[misc]
    """A read-only :class:`TypeConversionDict`."""


__all__ += ["RequestCacheControl", "ResponseCacheControl"]
