"""Bounds on a value: ``Annotated[int, Field(ge=1, le=100)]``.

A :class:`Field` is ``Annotated`` metadata that erlen's own validator
enforces and the OpenAPI document states (``minimum``, ``maxLength``,
``pattern`` ...).  It is checked when the view is registered (a bad regex or
an empty range is an error there, never per request) and turned into checks
that a request only calls.

The keywords mean what their JSON Schema twins mean, so the document tells
clients the truth: numeric bounds apply to numbers, length and ``pattern`` to
strings, length to arrays (the items as sent), and ``pattern`` is a
*search* — unanchored, as in JSON Schema; write ``^...$`` to match the whole
string.  pydantic models and msgspec Structs keep their own constraints
(``pydantic.Field``, ``msgspec.Meta``).
"""

from __future__ import annotations

import collections.abc as _abc
import decimal
import math
import re
import types
import typing as t

__all__ = ["Field", "field_of", "kinds_of", "schema_keywords"]

Number = int | float | decimal.Decimal
#: ``check(value)`` is None, or ``(message, keyword)`` for the first bound broken.
Check = t.Callable[[t.Any], "tuple[str, str] | None"]

#: The error ``type`` of a broken bound: the JSON Schema keyword it breaks.
BOUND_KINDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    }
)
NUMBER_CLASSES = (int, float, decimal.Decimal)  # exact classes: bool is no number
_ARRAY_ORIGINS = frozenset(
    {list, tuple, set, frozenset}
    | {_abc.Sequence, _abc.MutableSequence, _abc.Set, _abc.Iterable}
)
_NUMERIC = ("gt", "ge", "lt", "le", "multiple_of")
_NAMES = (*_NUMERIC, "min_length", "max_length", "pattern")


def _number(name: str, value: t.Any) -> None:
    if value.__class__ not in NUMBER_CLASSES:
        raise TypeError(f"Field({name}=...) must be a number, not {value!r}")
    finite = (
        value.is_finite()
        if value.__class__ is decimal.Decimal
        else math.isfinite(value)
    )
    if not finite:
        raise ValueError(f"Field({name}=...) must be finite, not {value!r}")


class Field:
    """Bounds for erlen's validator, used as ``Annotated`` metadata.

    ``gt``/``ge``/``lt``/``le`` and ``multiple_of`` bound numbers;
    ``min_length``/``max_length`` count a string's characters or a list's
    items; ``pattern`` is a regular expression *searched* for in a string
    (JSON Schema's meaning: anchor it with ``^...$`` for a full match).
    Several ``Field`` on one type merge, the later one winning per keyword.
    """

    __slots__ = (*_NAMES, "regex")

    def __init__(
        self,
        *,
        gt: Number | None = None,
        ge: Number | None = None,
        lt: Number | None = None,
        le: Number | None = None,
        multiple_of: Number | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
    ) -> None:
        for name, number in (("gt", gt), ("ge", ge), ("lt", lt), ("le", le)):
            if number is not None:
                _number(name, number)
        if multiple_of is not None:
            _number("multiple_of", multiple_of)
            if multiple_of <= 0:
                raise ValueError("Field(multiple_of=...) must be greater than 0")
        for name, size in (("min_length", min_length), ("max_length", max_length)):
            if size is not None and (size.__class__ is not int or size < 0):
                raise TypeError(f"Field({name}=...) must be an int >= 0, not {size!r}")
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.multiple_of = multiple_of
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern
        self.regex: re.Pattern[str] | None = None
        if pattern is not None:
            if not isinstance(pattern, str):
                raise TypeError(f"Field(pattern=...) must be a str, not {pattern!r}")
            try:
                self.regex = re.compile(pattern)
            except re.error as e:
                raise ValueError(
                    f"Field(pattern={pattern!r}) is not a valid regular expression: {e}"
                ) from None
        self._check_range()

    def _check_range(self) -> None:
        lows = ((self.ge, False), (self.gt, True))
        highs = ((self.le, False), (self.lt, True))
        for low, low_open in lows:
            for high, high_open in highs:
                if low is None or high is None:
                    continue
                if low > high or (low == high and (low_open or high_open)):
                    raise ValueError(f"{self!r} allows no value")
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ValueError(f"{self!r} allows no length")

    def _values(self) -> dict[str, t.Any]:
        return {n: getattr(self, n) for n in _NAMES if getattr(self, n) is not None}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values().items())
        return f"Field({args})"

    def merged(self, other: Field) -> Field:
        """The bounds of both, ``other``'s winning where both set one."""
        return Field(**{**self._values(), **other._values()})

    def require(self, kinds: frozenset[str], tp: t.Any) -> None:
        """Refuse bounds that no value of ``tp`` could have (at registration)."""
        numeric = [n for n in _NUMERIC if getattr(self, n) is not None]
        if numeric and "number" not in kinds:
            raise TypeError(f"{self!r}: {numeric[0]} needs a number type, not {tp!r}")
        if self.pattern is not None and "string" not in kinds:
            raise TypeError(f"{self!r}: pattern needs a str type, not {tp!r}")
        sized = self.min_length is not None or self.max_length is not None
        if sized and not kinds & {"string", "array"}:
            raise TypeError(
                f"{self!r}: min_length/max_length need a str or list type, not {tp!r}"
            )


def _foreign_constraint(meta: t.Any) -> bool:
    """True for another library's bound that erlen's validator would ignore."""
    root = type(meta).__module__.partition(".")[0]
    if root == "annotated_types":
        return True
    if root == "pydantic":
        # A FieldInfo with only a description constrains nothing.
        return type(meta).__name__ != "FieldInfo" or bool(getattr(meta, "metadata", ()))
    if root == "msgspec":
        return any(getattr(meta, n, None) is not None for n in _NAMES)
    return False


def field_of(tp: t.Any) -> Field | None:
    """The merged :class:`Field` of an ``Annotated`` type (None without one)."""
    found: Field | None = None
    for meta in getattr(tp, "__metadata__", ()):
        if isinstance(meta, Field):
            found = meta if found is None else found.merged(meta)
        elif _foreign_constraint(meta):
            raise TypeError(
                f"{meta!r} in {tp!r} is not enforced by erlen's validator;"
                " use erlen.api.Field for this type, or a pydantic model or"
                " msgspec Struct whose library reads it."
            )
    return found


def kinds_of(tp: t.Any) -> frozenset[str]:
    """Which JSON kinds a value of ``tp`` can be: number, string, array."""
    while t.get_origin(tp) is t.Annotated:
        tp = tp.__origin__
    if isinstance(tp, t.NewType):
        return kinds_of(tp.__supertype__)
    if tp is t.Any or tp is object:
        return frozenset({"number", "string", "array"})
    origin = t.get_origin(tp)
    if origin in (t.Union, types.UnionType):
        return frozenset().union(*(kinds_of(a) for a in t.get_args(tp)))
    if tp in NUMBER_CLASSES:
        return frozenset({"number"})
    if tp is str:
        return frozenset({"string"})
    if (origin or tp) in _ARRAY_ORIGINS:
        return frozenset({"array"})
    return frozenset()


def _number_json(value: Number) -> int | float:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def schema_keywords(field: Field, kinds: frozenset[str]) -> dict[str, t.Any]:
    """The JSON Schema keywords of ``field`` for a type of these ``kinds``."""
    out: dict[str, t.Any] = {}
    if "number" in kinds:
        for name, keyword in (
            ("ge", "minimum"),
            ("gt", "exclusiveMinimum"),
            ("le", "maximum"),
            ("lt", "exclusiveMaximum"),
            ("multiple_of", "multipleOf"),
        ):
            value = getattr(field, name)
            if value is not None:
                out[keyword] = _number_json(value)
    for kind, low, high in (
        ("string", "minLength", "maxLength"),
        ("array", "minItems", "maxItems"),
    ):
        if kind in kinds:
            if field.min_length is not None:
                out[low] = field.min_length
            if field.max_length is not None:
                out[high] = field.max_length
    if "string" in kinds and field.pattern is not None:
        out["pattern"] = field.pattern
    return out


# -- checks -------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _as_decimal(number: Number) -> decimal.Decimal:
    """A float as the decimal it is written as (``0.1``), not its binary value."""
    if number.__class__ is float:
        return decimal.Decimal(repr(number))
    return decimal.Decimal(number)


def _digits(number: Number) -> tuple[int, int, int]:
    """(coefficient, exponent, digit count) of a finite number, sign dropped."""
    if number.__class__ is int:
        return abs(int(number)), 0, 0
    _, digits, exponent = _as_decimal(number).as_tuple()
    return int("".join(map(str, digits))), int(exponent), len(digits)


def _multiple_check(step: Number) -> t.Callable[[t.Any], bool]:
    """Exact ``value % step == 0`` on the decimal values as written.

    ``0.3`` is a multiple of ``0.1`` (binary floats would say no), and a
    huge exponent costs a modular power, not a huge integer.
    """
    exact = step if step.__class__ is int else None
    coef_s, exp_s, _ = _digits(step)

    def is_multiple(value: t.Any) -> bool:
        cls = value.__class__
        if cls is int and exact is not None:
            return bool(value % exact == 0)
        if cls is float and not math.isfinite(value):
            return False
        coef, exp, size = _digits(value)
        if coef == 0:
            return True
        shift = exp - exp_s  # value / step == (coef / coef_s) * 10**shift
        if shift >= 0:
            return coef * pow(10, shift, coef_s) % coef_s == 0
        if size and -shift > size:
            return False  # 0 < coef < 10**-shift <= coef_s * 10**-shift
        return bool(coef % (coef_s * 10**-shift) == 0)

    return is_multiple


def _size_check(
    low: int | None, high: int | None, word: str, kinds: tuple[str, str]
) -> t.Callable[[int], tuple[str, str] | None] | None:
    """The check of a length against ``low``/``high`` (None when unbounded)."""
    if low is None and high is None:
        return None
    shortest = low or 0
    longest = math.inf if high is None else high
    too_short = (f"must have at least {_plural(shortest, word)}", kinds[0])
    too_long = (f"must have at most {_plural(high or 0, word)}", kinds[1])

    def check(size: int) -> tuple[str, str] | None:
        if size < shortest:
            return too_short
        if size > longest:
            return too_long
        return None

    return check


def _tighter(
    closed: Number | None, opened: Number | None, lower: bool
) -> tuple[Number | None, bool]:
    """Of ``ge``/``gt`` (or ``le``/``lt``), the bound that refuses more."""
    if opened is None:
        return closed, False
    if closed is None:
        return opened, True
    if lower:
        return (opened, True) if opened >= closed else (closed, False)
    return (opened, True) if opened <= closed else (closed, False)


def _number_check(field: Field) -> Check | None:
    low, low_open = _tighter(field.ge, field.gt, lower=True)
    high, high_open = _tighter(field.le, field.lt, lower=False)
    step = field.multiple_of
    if low is None and high is None and step is None:
        return None
    # A Decimal meets a bound as written: Decimal("0.1") >= 0.1 (the float).
    low_d = None if low is None else _as_decimal(low)
    high_d = None if high is None else _as_decimal(high)
    too_low = (
        (f"must be greater than {low}", "exclusiveMinimum")
        if low_open
        else (f"must be at least {low}", "minimum")
    )
    too_high = (
        (f"must be less than {high}", "exclusiveMaximum")
        if high_open
        else (f"must be at most {high}", "maximum")
    )
    is_multiple = _multiple_check(step) if step is not None else None
    not_multiple = (f"must be a multiple of {step}", "multipleOf")

    def check(value: t.Any) -> tuple[str, str] | None:
        cls = value.__class__
        if cls is int or cls is float:  # not bool: JSON Schema has no such number
            lo, hi = low, high
        elif cls is decimal.Decimal:
            lo, hi = low_d, high_d
        else:
            return None
        # "not (x >= lo)", not "x < lo": NaN fails every bound.
        if lo is not None and not (value > lo if low_open else value >= lo):
            return too_low
        if hi is not None and not (value < hi if high_open else value <= hi):
            return too_high
        if is_multiple is not None and not is_multiple(value):
            return not_multiple
        return None

    return check


def _string_check(field: Field) -> Check | None:
    size_check = _size_check(
        field.min_length, field.max_length, "character", ("minLength", "maxLength")
    )
    regex = field.regex
    if size_check is None and regex is None:
        return None
    mismatch = (f"must match the pattern {field.pattern!r}", "pattern")

    def check(value: t.Any) -> tuple[str, str] | None:
        if value.__class__ is not str:
            return None
        # Length first: a string too long never reaches the regex.
        if size_check is not None:
            broken = size_check(len(value))
            if broken is not None:
                return broken
        if regex is not None and regex.search(value) is None:
            return mismatch
        return None

    return check


def value_check(field: Field, kinds: frozenset[str]) -> Check | None:
    """The check of a converted value (numbers, strings), or None."""
    number = _number_check(field) if "number" in kinds else None
    string = _string_check(field) if "string" in kinds else None
    if number is None or string is None:
        return number or string

    def either(value: t.Any) -> tuple[str, str] | None:
        return number(value) or string(value)

    return either


def items_check(field: Field, kinds: frozenset[str]) -> Check | None:
    """The check of an array as sent, before its items are converted."""
    if "array" not in kinds:
        return None
    size_check = _size_check(
        field.min_length, field.max_length, "item", ("minItems", "maxItems")
    )
    if size_check is None:
        return None

    def check(value: t.Any) -> tuple[str, str] | None:
        if value.__class__ is list or value.__class__ is tuple:
            return size_check(len(value))
        return None

    return check
