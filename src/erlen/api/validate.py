"""erlen's own validator: a type becomes a converter function, once.

``compile_type(tp)`` walks the annotation at registration and returns a
closure; a request only calls it.  It covers what an API needs without a
dependency: builtins, ``Optional``/unions, ``list``/``tuple``/``set``/``dict``,
``Literal``, ``Enum``, ``datetime``/``date``/``time``, ``UUID``, ``Decimal``,
dataclasses and TypedDicts, with the bounds of ``Annotated[..., Field(...)]``
(``constraints.py``).  Pydantic models and msgspec Structs met inside (or at
the top) are handed to their own library (``backends.py``).

With ``strings=True`` scalars are parsed from text (query, headers, cookies,
form fields, path segments); otherwise JSON types are required, so ``"3"`` is
not an ``int`` in a JSON body.  A converter appends ``(path, message, type)``
to ``errors`` and returns :data:`INVALID` instead of raising, so one request
reports every field error at once.
"""

from __future__ import annotations

import collections.abc as _abc
import dataclasses
import datetime as dt
import decimal
import enum
import math
import re
import sys
import types
import typing as t
import uuid

from .constraints import BOUND_KINDS
from .constraints import Field
from .constraints import field_of
from .constraints import items_check
from .constraints import kinds_of
from .constraints import value_check

__all__ = ["INVALID", "Converter", "ErrorList", "compile_type", "is_structured"]

#: Returned by a converter that recorded an error.
INVALID: t.Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()

ErrorList = list[tuple[tuple[str | int, ...], str, str]]
Converter = t.Callable[[t.Any, tuple[str | int, ...], ErrorList], t.Any]

_INT = re.compile(r"[+-]?\d+\Z")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NoneType = type(None)
_UNION_TYPES: tuple[t.Any, ...] = (t.Union, types.UnionType)
_cache: dict[tuple[t.Any, bool], Converter] = {}


def is_typeddict(tp: t.Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, dict)
        and hasattr(tp, "__required_keys__")
    )


def is_structured(tp: t.Any) -> bool:
    """A type whose fields are named: read a whole query or form into it."""
    from .backends import library_of

    tp = strip_annotated(tp)
    return (
        dataclasses.is_dataclass(tp) or is_typeddict(tp) or library_of(tp) is not None
    )


def strip_annotated(tp: t.Any) -> t.Any:
    while t.get_origin(tp) is t.Annotated:
        tp = t.get_args(tp)[0]
    return tp


def compile_type(tp: t.Any, *, strings: bool = False) -> Converter:
    """The converter for ``tp``; compiled once per type and mode."""
    key = (tp, strings)
    try:
        return _cache[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: compile without caching
        return _compile(tp, strings)
    # A placeholder first: a dataclass that refers to itself finds it.
    slot: list[Converter] = []

    def deferred(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        return slot[0](value, path, errors)

    _cache[key] = deferred
    try:
        conv = _compile(tp, strings)
    except BaseException:
        del _cache[key]
        raise
    slot.append(conv)
    _cache[key] = conv
    return conv


def _fail(errors: ErrorList, path: t.Any, message: str, kind: str = "type") -> t.Any:
    errors.append((path, message, kind))
    return INVALID


def _compile(tp: t.Any, strings: bool) -> Converter:  # noqa: C901
    if t.get_origin(tp) is t.Annotated:
        inner = compile_type(tp.__origin__, strings=strings)
        field = field_of(tp)
        return inner if field is None else _bounded(inner, field, tp.__origin__)
    if tp is t.Any or tp is object:
        return lambda value, path, errors: value
    if isinstance(tp, t.NewType):
        return compile_type(tp.__supertype__, strings=strings)
    from .backends import library_converter

    external = library_converter(tp, strings)
    if external is not None:
        return external
    origin = t.get_origin(tp)
    if origin in _UNION_TYPES:
        return _union(t.get_args(tp), strings)
    if origin is t.Literal:
        return _literal(t.get_args(tp), strings)
    if origin in (list, set, frozenset, tuple) or origin in _ABC_SEQUENCES:
        return _collection(tp, origin, strings)
    if origin in (dict, _abc.Mapping, _abc.MutableMapping):
        args = t.get_args(tp) or (str, t.Any)
        return _mapping(args[0], args[1], strings)
    if tp in (list, tuple, set, frozenset):
        return _collection(tp, tp, strings)
    if tp is dict:
        return _mapping(str, t.Any, strings)
    scalar = _SCALARS.get(tp)
    if scalar is not None:
        return scalar[1] if strings else scalar[0]
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _enum(tp, strings)
        if dataclasses.is_dataclass(tp):
            return _dataclass(tp, strings)
        if is_typeddict(tp):
            return _typeddict(tp, strings)
        return _instance(tp)
    raise TypeError(f"erlen cannot validate the type {tp!r}")


# -- scalars ----------------------------------------------------------------------


def _str(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value.__class__ is str:
        return value
    return _fail(errors, path, "expected a string")


def _int(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    cls = value.__class__
    if cls is int:
        return value
    if cls is float and value.is_integer():
        return int(value)
    return _fail(errors, path, "expected an integer")


def _int_text(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value.__class__ is str and _INT.match(value) and len(value) <= 4300:
        return int(value)
    return _fail(errors, path, "expected an integer")


def _float(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    cls = value.__class__
    if cls is float or cls is int:
        return float(value)
    return _fail(errors, path, "expected a number")


def _float_text(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value.__class__ is str and len(value) <= 100:
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    return _fail(errors, path, "expected a number")


def _bool(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value is True or value is False:
        return value
    return _fail(errors, path, "expected a boolean")


def _bool_text(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value.__class__ is str:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return _fail(errors, path, "expected a boolean (true/false, 1/0, yes/no, on/off)")


def _none(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    if value is None:
        return None
    return _fail(errors, path, "expected null")


def _none_text(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    # Text has no null: an absent parameter is None, an empty one is "".
    if value is None:
        return None
    return _fail(errors, path, "expected no value")


def _parser(cls: type, parse: t.Callable[[str], t.Any], what: str) -> Converter:
    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if value.__class__ is cls:
            return value
        if value.__class__ is str and len(value) <= 100:
            try:
                return parse(value)
            except (ValueError, ArithmeticError):
                pass
        return _fail(errors, path, f"expected {what}")

    return convert


def _iso(cls: t.Any) -> t.Callable[[str], t.Any]:
    def parse(text: str) -> t.Any:
        if sys.version_info < (3, 11) and text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        return cls.fromisoformat(text)

    return parse


def _decimal(text: str) -> decimal.Decimal:
    number = decimal.Decimal(text)
    if not number.is_finite():
        raise ValueError("not finite")
    return number


def _decimal_json(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
    cls = value.__class__
    if cls is int or cls is float:
        value = repr(value)
    return _decimal_text(value, path, errors)


_decimal_text = _parser(decimal.Decimal, _decimal, "a decimal number")
_uuid = _parser(uuid.UUID, uuid.UUID, "a UUID")
_datetime = _parser(dt.datetime, _iso(dt.datetime), "an ISO 8601 date-time")
_date = _parser(dt.date, _iso(dt.date), "an ISO 8601 date")
_time = _parser(dt.time, _iso(dt.time), "an ISO 8601 time")

# (JSON converter, text converter)
_SCALARS: dict[t.Any, tuple[Converter, Converter]] = {
    str: (_str, _str),
    int: (_int, _int_text),
    float: (_float, _float_text),
    bool: (_bool, _bool_text),
    None: (_none, _none_text),
    _NoneType: (_none, _none_text),
    decimal.Decimal: (_decimal_json, _decimal_text),
    uuid.UUID: (_uuid, _uuid),
    dt.datetime: (_datetime, _datetime),
    dt.date: (_date, _date),
    dt.time: (_time, _time),
}


#: Converters that return a value of this exact class unchanged.
_EXACT: dict[Converter, type] = {_str: str, _int: int, _float: float, _bool: bool}
_MISSING: t.Any = object()


def _instance(cls: type) -> Converter:
    """Any other class (a FileStorage, say): the value must already be one."""

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if isinstance(value, cls):
            return value
        return _fail(errors, path, f"expected {cls.__name__}")

    return convert


def _bounded(inner: Converter, field: Field, tp: t.Any) -> Converter:
    """``inner``, then the bounds of ``field`` (checked against ``tp`` now)."""
    kinds = kinds_of(tp)
    field.require(kinds, tp)
    before = items_check(field, kinds)
    after = value_check(field, kinds)
    exact = _EXACT.get(inner)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if before is not None:
            # The array as sent: a million items are refused before converting.
            broken = before(value)
            if broken is not None:
                return _fail(errors, path, *broken)
        # PERF: a value already of the exact class skips its converter.
        result = value if value.__class__ is exact else inner(value, path, errors)
        if after is None or result is INVALID:
            return result
        broken = after(result)
        if broken is not None:
            return _fail(errors, path, *broken)
        return result

    if before is None and exact is not None:
        # Lets a record check a field of the exact class inline (``_record``).
        convert.exact_check = (exact, after)  # type: ignore[attr-defined]
    return convert


# -- unions, literals, enums ------------------------------------------------------


def _union(members: tuple[t.Any, ...], strings: bool) -> Converter:
    # None last in text mode: "" is a valid str before it means "no value".
    ordered = sorted(members, key=lambda m: m is _NoneType) if strings else members
    converters = [compile_type(m, strings=strings) for m in ordered]
    names = " or ".join(_type_name(m) for m in ordered)
    if len(converters) == 2 and ordered[1] is _NoneType and not strings:
        first = converters[0]

        def optional(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
            if value is None:
                return None
            return first(value, path, errors)

        return optional

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        scratch: ErrorList = []
        for conv in converters:
            result = conv(value, path, scratch)
            if result is not INVALID:
                return result
        for error in scratch:
            if error[2] in BOUND_KINDS and len(error[0]) == len(path):
                # The type matched but a bound did not: say which.
                errors.append(error)
                return INVALID
        if len(scratch) == 1 or all(len(e[0]) == len(path) for e in scratch):
            return _fail(errors, path, f"expected {names}")
        errors.extend(e for e in scratch if len(e[0]) > len(path))
        return INVALID

    return convert


def _type_name(tp: t.Any) -> str:
    tp = strip_annotated(tp)
    if tp is _NoneType:
        return "null"
    return getattr(tp, "__name__", None) or repr(tp)


def _literal(values: tuple[t.Any, ...], strings: bool) -> Converter:
    allowed = {(v.__class__, v): v for v in values}
    by_text = {str(v.value if isinstance(v, enum.Enum) else v): v for v in values}
    shown = ", ".join(repr(v) for v in values)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        try:
            return allowed[value.__class__, value]
        except (KeyError, TypeError):
            pass
        if strings and value.__class__ is str and value in by_text:
            return by_text[value]
        return _fail(errors, path, f"expected one of {shown}", "value")

    return convert


def _enum(cls: type[enum.Enum], strings: bool) -> Converter:
    members = {(m.value.__class__, m.value): m for m in cls}
    by_text = {str(m.value): m for m in cls}
    shown = ", ".join(repr(m.value) for m in cls)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if value.__class__ is cls:
            return value
        try:
            return members[value.__class__, value]
        except (KeyError, TypeError):
            pass
        if strings and value.__class__ is str and value in by_text:
            return by_text[value]
        return _fail(errors, path, f"expected one of {shown}", "value")

    return convert


# -- collections ------------------------------------------------------------------

_ABC_SEQUENCES = (_abc.Sequence, _abc.MutableSequence, _abc.Set, _abc.Iterable)


def _collection(tp: t.Any, origin: t.Any, strings: bool) -> Converter:
    args = t.get_args(tp)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _fixed_tuple(args, strings)
    item = compile_type(args[0] if args else t.Any, strings=strings)
    build: t.Any = {
        set: set,
        frozenset: frozenset,
        _abc.Set: frozenset,
        tuple: tuple,
    }.get(origin, list)

    exact = _EXACT.get(item)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if value.__class__ is not list and value.__class__ is not tuple:
            return _fail(errors, path, "expected an array")
        if exact is not None and all(v.__class__ is exact for v in value):
            return list(value) if build is list else build(value)
        before = len(errors)
        out = [item(v, (*path, i), errors) for i, v in enumerate(value)]
        if len(errors) != before:
            return INVALID
        try:
            return out if build is list else build(out)
        except TypeError:
            return _fail(errors, path, "expected hashable items", "value")

    return convert


def _fixed_tuple(args: tuple[t.Any, ...], strings: bool) -> Converter:
    items = [compile_type(a, strings=strings) for a in args]
    size = len(items)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if value.__class__ is not list and value.__class__ is not tuple:
            return _fail(errors, path, "expected an array")
        if len(value) != size:
            return _fail(errors, path, f"expected {size} items", "value")
        before = len(errors)
        out = tuple(
            conv(v, (*path, i), errors)
            for i, (conv, v) in enumerate(zip(items, value, strict=True))
        )
        return INVALID if len(errors) != before else out

    return convert


def _mapping(key_tp: t.Any, value_tp: t.Any, strings: bool) -> Converter:
    key = compile_type(key_tp, strings=True)
    item = compile_type(value_tp, strings=strings)

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if not isinstance(value, dict):
            return _fail(errors, path, "expected an object")
        before = len(errors)
        out = {
            key(k, (*path, k), errors): item(v, (*path, k), errors)
            for k, v in value.items()
        }
        return INVALID if len(errors) != before else out

    return convert


# -- records ----------------------------------------------------------------------


def field_types(cls: type) -> dict[str, t.Any]:
    """The resolved annotations of a dataclass or TypedDict (extras kept)."""
    return t.get_type_hints(cls, include_extras=True)


def _dataclass(cls: t.Any, strings: bool) -> Converter:
    hints = field_types(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        required = (
            f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        )
        fields.append((f.name, compile_type(hints[f.name], strings=strings), required))
    return _record(fields, lambda data: cls(**data), cls)


def _typeddict(cls: t.Any, strings: bool) -> Converter:
    hints = field_types(cls)
    required_keys = cls.__required_keys__
    fields = []
    for name, hint in hints.items():
        fields.append(
            (
                name,
                compile_type(unwrap_required(hint), strings=strings),
                name in required_keys,
            )
        )
    return _record(fields, dict, None)


_REQUIRED_WRAPPERS = tuple(
    getattr(t, name) for name in ("Required", "NotRequired") if hasattr(t, name)
)


def annotated(tp: t.Any, metadata: t.Iterable[t.Any]) -> t.Any:
    """``Annotated[tp, *metadata]`` (the star syntax needs Python 3.11)."""
    args = (tp, *metadata)
    return t.Annotated[args]  # type: ignore[valid-type]


def unwrap_required(hint: t.Any) -> t.Any:
    """A TypedDict field's type without ``Required``/``NotRequired``.

    Other ``Annotated`` metadata (a :class:`Field`) is kept, on either side.
    """
    if t.get_origin(hint) is t.Annotated:
        inner = unwrap_required(hint.__origin__)
        if inner is hint.__origin__:
            return hint
        return annotated(inner, hint.__metadata__)
    if t.get_origin(hint) in _REQUIRED_WRAPPERS:
        return unwrap_required(t.get_args(hint)[0])
    return hint


def _record(
    fields: list[tuple[str, Converter, bool]],
    build: t.Callable[[dict[str, t.Any]], t.Any],
    cls: t.Any,
) -> Converter:
    # PERF: a value already of the field's exact class skips its converter
    # (bench `validated_json_dc`); a bounded one only runs its check.
    plan = []
    for name, conv, required in fields:
        exact, check = getattr(conv, "exact_check", (_EXACT.get(conv), None))
        plan.append((name, conv, required, exact, check))
    missing = _MISSING

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        if cls is not None and value.__class__ is cls:
            return value
        if not isinstance(value, dict):
            return _fail(errors, path, "expected an object")
        before = len(errors)
        data = {}
        for name, conv, required, exact, check in plan:
            item = value.get(name, missing)
            if item is missing:
                if required:
                    errors.append(((*path, name), "field required", "missing"))
            elif item.__class__ is exact:
                if check is not None:
                    broken = check(item)
                    if broken is not None:
                        errors.append(((*path, name), *broken))
                        continue
                data[name] = item
            else:
                data[name] = conv(item, (*path, name), errors)
        if len(errors) != before:
            return INVALID
        return build(data)

    return convert
