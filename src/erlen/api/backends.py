"""Pydantic v2 and msgspec, used for their own types when they are installed.

Neither is imported by erlen: a pydantic model can only exist once the user
imported pydantic, so ``sys.modules`` tells which libraries to look at and
an app without them pays nothing.  Their errors are mapped to erlen's
``(path, message, type)`` triples; pydantic reports every error, msgspec
only the first (that is how msgspec works).
"""

from __future__ import annotations

import re
import sys
import typing as t

from .validate import INVALID
from .validate import Converter
from .validate import ErrorList

__all__ = ["BodyDecoder", "library_converter", "library_of"]

#: Decodes raw JSON bytes: returns the value, or raises ValueError for bad
#: JSON, or records validation errors and returns INVALID.
BodyDecoder = t.Callable[[bytes, ErrorList], t.Any]


def library_of(tp: t.Any) -> str | None:
    """ "pydantic" or "msgspec" when ``tp`` belongs to that library."""
    if not isinstance(tp, type):
        return None
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and (
        issubclass(tp, pydantic.BaseModel)
        or hasattr(tp, "__pydantic_validator__")  # pydantic dataclasses
    ):
        return "pydantic"
    msgspec = sys.modules.get("msgspec")
    if msgspec is not None and issubclass(tp, msgspec.Struct):
        return "msgspec"
    return None


def library_converter(tp: t.Any, strings: bool) -> Converter | None:
    library = library_of(tp)
    if library == "pydantic":
        return _pydantic(tp, strings)
    if library == "msgspec":
        return _msgspec(tp, strings)
    return None


def body_decoder(tp: t.Any) -> BodyDecoder | None:
    """A decoder straight from bytes, for the libraries that have one."""
    library = library_of(tp)
    if library == "pydantic":
        return _pydantic_json(tp)
    if library == "msgspec":
        return _msgspec_json(tp)
    return None


# -- pydantic ---------------------------------------------------------------------


def _pydantic_errors(exc: t.Any, path: t.Any, errors: ErrorList) -> None:
    for err in exc.errors(include_url=False, include_context=False):
        kind = "missing" if err["type"] == "missing" else err["type"]
        errors.append(((*path, *err["loc"]), err["msg"], kind))


def _pydantic(tp: t.Any, strings: bool) -> Converter:
    from pydantic import TypeAdapter
    from pydantic import ValidationError

    validate = TypeAdapter(tp).validate_python
    strict = False if strings else None

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        try:
            return validate(value, strict=strict)
        except ValidationError as e:
            _pydantic_errors(e, path, errors)
            return INVALID

    return convert


def _pydantic_json(tp: t.Any) -> BodyDecoder:
    from pydantic import TypeAdapter
    from pydantic import ValidationError

    validate_json = TypeAdapter(tp).validate_json

    def decode(data: bytes, errors: ErrorList) -> t.Any:
        try:
            return validate_json(data)
        except ValidationError as e:
            bad = [
                err
                for err in e.errors(include_url=False, include_context=False)
                if err["type"] == "json_invalid"
            ]
            if bad:
                raise ValueError(bad[0]["msg"]) from None
            _pydantic_errors(e, (), errors)
            return INVALID

    return decode


# -- msgspec ----------------------------------------------------------------------

_MSGSPEC_AT = re.compile(r" - at `\$(.*)`\Z")
_MSGSPEC_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")


def _msgspec_error(message: str, path: t.Any, errors: ErrorList) -> None:
    where = _MSGSPEC_AT.search(message)
    steps: list[str | int] = []
    if where is not None:
        message = message[: where.start()]
        for m in _MSGSPEC_STEP.finditer(where.group(1)):
            if m.group(1) is not None:
                steps.append(m.group(1))
            elif m.group(2) is not None:
                steps.append(int(m.group(2)))
    missing = re.match(r"Object missing required field `([^`]+)`", message)
    if missing is not None:
        steps.append(missing.group(1))
        errors.append(((*path, *steps), "field required", "missing"))
        return
    errors.append(((*path, *steps), message, "type"))


def _msgspec(tp: t.Any, strings: bool) -> Converter:
    import msgspec

    def convert(value: t.Any, path: t.Any, errors: ErrorList) -> t.Any:
        try:
            return msgspec.convert(value, tp, strict=not strings)
        except msgspec.ValidationError as e:
            _msgspec_error(str(e), path, errors)
            return INVALID

    return convert


def _msgspec_json(tp: t.Any) -> BodyDecoder:
    import msgspec

    decoder = msgspec.json.Decoder(tp)

    def decode(data: bytes, errors: ErrorList) -> t.Any:
        try:
            return decoder.decode(data)
        except msgspec.ValidationError as e:
            _msgspec_error(str(e), (), errors)
            return INVALID
        except msgspec.DecodeError as e:
            raise ValueError(str(e)) from None

    return decode
