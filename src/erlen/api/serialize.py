"""Return values to JSON-ready data, as the view's return annotation promises.

Flask's JSON provider writes dates as HTTP dates and refuses pydantic models;
a typed view (``-> ItemOut``) gets what an API client expects instead:
dataclasses, TypedDicts, pydantic models and msgspec Structs as objects,
datetimes as ISO 8601, ``Decimal`` and ``UUID`` as strings, enums as their
values, sets and tuples as arrays.
"""

from __future__ import annotations

import collections.abc as _abc
import dataclasses
import datetime as dt
import decimal
import enum
import sys
import types
import typing as t
import uuid

from ..exceptions import HTTPException
from ..response import Response
from .validate import strip_annotated

__all__ = ["needs_serializer", "response_type", "to_builtins", "wrap_result"]

_PLAIN = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def to_builtins(value: t.Any) -> t.Any:
    """``value`` as dicts, lists, strings, numbers, booleans and None."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is dict:
        return {_key(k): to_builtins(v) for k, v in value.items()}
    if cls is list or cls is tuple:
        return [to_builtins(v) for v in value]
    names = _FIELDS.get(cls)
    if (
        names is None
        and dataclasses.is_dataclass(value)
        and not isinstance(value, type)
    ):
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_builtins(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return to_builtins(value.value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    msgspec = sys.modules.get("msgspec")
    if msgspec is not None and isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, (set, frozenset)):
        return [to_builtins(v) for v in value]
    if isinstance(value, dict):
        return {_key(k): to_builtins(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_builtins(v) for v in value]
    if isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"cannot serialise {cls.__name__} to JSON")


def _key(key: t.Any) -> str:
    return key if key.__class__ is str else str(to_builtins(key))


def response_type(annotation: t.Any) -> t.Any:
    """The body type of a return annotation: ``tuple[ItemOut, int]`` → ItemOut."""
    annotation = strip_annotated(annotation)
    if t.get_origin(annotation) is tuple:
        args = t.get_args(annotation)
        if args and args[-1] is not Ellipsis:
            return strip_annotated(args[0])
    return annotation


_RESPONSE_LIKE = (str, bytes, bytearray, Response)
_ITERATORS = (
    _abc.Iterator,
    _abc.Iterable,
    _abc.Generator,
    _abc.AsyncIterator,
    _abc.AsyncIterable,
    _abc.AsyncGenerator,
)
_SPECIAL = (dt.datetime, dt.date, dt.time, decimal.Decimal, uuid.UUID, set, frozenset)


def _response_like(tp: t.Any) -> bool:
    tp = strip_annotated(tp)
    if isinstance(tp, type) and issubclass(tp, _RESPONSE_LIKE):
        return True
    return t.get_origin(tp) in _ITERATORS or tp in _ITERATORS


def _mentions_model(tp: t.Any) -> bool:
    """True when values of ``tp`` need more than Flask's JSON provider."""
    tp = strip_annotated(tp)
    if isinstance(tp, type):
        if issubclass(tp, _SPECIAL) or issubclass(tp, enum.Enum):
            return True
        if dataclasses.is_dataclass(tp) or hasattr(tp, "__required_keys__"):
            return True
        from .backends import library_of

        return library_of(tp) is not None
    return any(_mentions_model(a) for a in t.get_args(tp) if a is not Ellipsis)


def needs_serializer(annotation: t.Any, typed: bool = False) -> bool:
    """False for what ``make_response`` already handles as it should.

    A view without typed parameters is wrapped only when its annotation
    names a model (or a date, Decimal, UUID, enum, set) -- ``-> dict`` and
    ``-> ResponseReturnValue`` keep Flask's behaviour.  A ``typed`` view gets
    ISO 8601 throughout for any JSON return type.
    """
    tp = response_type(annotation)
    if tp in (t.Any, object, None, type(None)) or _response_like(tp):
        return False
    if t.get_origin(tp) in (t.Union, types.UnionType):
        members = [response_type(a) for a in t.get_args(tp)]
        if any(_response_like(m) or t.get_origin(m) is tuple for m in members):
            return any(_mentions_model(m) for m in members)
    return typed or _mentions_model(tp)


def wrap_result(rv: t.Any) -> t.Any:
    """Serialise the body part of a view's return value, keep status/headers."""
    cls = rv.__class__
    if cls is tuple and rv and not _passthrough(rv[0]):
        return (_body(rv[0]), *rv[1:])
    if _passthrough(rv):
        return rv
    return _body(rv)


def _body(value: t.Any) -> t.Any:
    # PERF: pydantic and msgspec write their own JSON several times faster
    # than model -> dict -> json.dumps (bench `validated_json`).
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return _json_response(value.model_dump_json().encode())
    msgspec = sys.modules.get("msgspec")
    if msgspec is not None and isinstance(value, msgspec.Struct):
        return _json_response(msgspec.json.encode(value))
    return to_builtins(value)


def _json_response(data: bytes) -> Response:
    from ..globals import _cv_context

    ctx = _cv_context.get(None)
    cls = ctx.app.response_class if ctx is not None else Response
    return cls(data, mimetype="application/json")


def _passthrough(value: t.Any) -> bool:
    cls = value.__class__
    if cls is str or cls is bytes or value is None:
        return True
    if hasattr(value, "__next__"):  # a generator or iterator: streamed
        return True
    return isinstance(value, (Response, HTTPException)) or (
        callable(value) and not isinstance(value, type) and not _is_record(value)
    )


def _is_record(value: t.Any) -> bool:
    return dataclasses.is_dataclass(value) or hasattr(value, "__struct_fields__")
