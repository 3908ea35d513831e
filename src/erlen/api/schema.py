"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) for the types views declare.

Records (dataclasses, TypedDicts, pydantic models, msgspec Structs) become
named components referenced with ``$ref``; pydantic and msgspec write their
own schemas, which are merged in, so a model documents exactly what its
library validates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import types
import typing as t
import uuid

from .backends import library_of
from .constraints import field_of
from .constraints import kinds_of
from .constraints import schema_keywords
from .validate import field_types
from .validate import is_typeddict
from .validate import unwrap_required

__all__ = ["SchemaBuilder"]

REF = "#/components/schemas/"

_SCALARS: dict[t.Any, dict[str, t.Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    None: {"type": "null"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    decimal.Decimal: {"type": "string", "format": "decimal"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    dt.time: {"type": "string", "format": "time"},
}


def _json_value(value: t.Any) -> t.Any:
    from .serialize import to_builtins

    try:
        return to_builtins(value)
    except TypeError:
        return None


class SchemaBuilder:
    """Builds schemas and collects the named ones in ``components``."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, t.Any]] = {}
        self._names: dict[t.Any, str] = {}

    def _name_for(self, tp: t.Any) -> tuple[str, bool]:
        """(component name, True if it is new)."""
        if tp in self._names:
            return self._names[tp], False
        base = getattr(tp, "__name__", "Model")
        name, n = base, 1
        while name in self.components or name in self._names.values():
            n += 1
            name = f"{base}{n}"
        self._names[tp] = name
        return name, True

    def schema(self, tp: t.Any) -> dict[str, t.Any]:  # noqa: C901
        """The schema of ``tp`` (a ``$ref`` for records)."""
        if t.get_origin(tp) is t.Annotated:
            bounded = self.schema(tp.__origin__)
            field = field_of(tp)
            if field is not None:
                bounded.update(schema_keywords(field, kinds_of(tp.__origin__)))
            return bounded
        if tp is t.Any or tp is object:
            return {}
        if isinstance(tp, t.NewType):
            return self.schema(tp.__supertype__)
        scalar = _SCALARS.get(tp)
        if scalar is not None:
            return dict(scalar)
        library = library_of(tp)
        if library is not None:
            return self._library(tp, library)
        origin = t.get_origin(tp)
        args = t.get_args(tp)
        if origin in (t.Union, types.UnionType):
            return {"anyOf": [self.schema(a) for a in args]}
        if origin is t.Literal:
            return {"enum": [_json_value(a) for a in args]}
        if origin is tuple and args and args[-1] is not Ellipsis:
            return {
                "type": "array",
                "prefixItems": [self.schema(a) for a in args],
                "minItems": len(args),
                "maxItems": len(args),
            }
        if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set):
            out: dict[str, t.Any] = {"type": "array"}
            if args:
                out["items"] = self.schema(args[0])
            if origin in (set, frozenset):
                out["uniqueItems"] = True
            return out
        if origin is dict or tp is dict or (origin and _is_mapping(origin)):
            out = {"type": "object"}
            if len(args) == 2 and args[1] is not t.Any:
                out["additionalProperties"] = self.schema(args[1])
            return out
        if isinstance(tp, type):
            if issubclass(tp, enum.Enum):
                return {"enum": [_json_value(m.value) for m in tp]}
            if dataclasses.is_dataclass(tp) or is_typeddict(tp):
                return self._record(tp)
        return {}

    def _record(self, tp: t.Any) -> dict[str, t.Any]:
        name, new = self._name_for(tp)
        if new:
            self.components[name] = {}  # reserve: the record may refer to itself
            hints = field_types(tp)
            props: dict[str, t.Any] = {}
            required: list[str] = []
            if dataclasses.is_dataclass(tp):
                for f in dataclasses.fields(tp):
                    if not f.init:
                        continue
                    prop = self.schema(hints[f.name])
                    if f.default is not dataclasses.MISSING:
                        prop["default"] = _json_value(f.default)
                    elif f.default_factory is dataclasses.MISSING:
                        required.append(f.name)
                    props[f.name] = prop
            else:
                for key, hint in hints.items():
                    props[key] = self.schema(unwrap_required(hint))
                    if key in tp.__required_keys__:
                        required.append(key)
            body: dict[str, t.Any] = {
                "type": "object",
                "title": tp.__name__,
                "properties": props,
            }
            if required:
                body["required"] = required
            doc = tp.__doc__
            if doc and not doc.startswith(f"{tp.__name__}("):
                body["description"] = doc.strip()
            self.components[name] = body
        return {"$ref": REF + name}

    def _library(self, tp: t.Any, library: str) -> dict[str, t.Any]:
        name, new = self._name_for(tp)
        if not new:
            return {"$ref": REF + name}
        if library == "pydantic":
            from pydantic import TypeAdapter

            schema = TypeAdapter(tp).json_schema(ref_template=REF + "{model}")
        else:
            import msgspec

            (schema,), defs = msgspec.json.schema_components(
                [tp], ref_template=REF + "{name}"
            )
            schema = dict(schema)
            if defs:
                schema["$defs"] = defs
        for key, value in schema.pop("$defs", {}).items():
            self.components.setdefault(key, value)
        if "$ref" in schema and schema["$ref"] == REF + tp.__name__:
            self._names[tp] = tp.__name__
            return schema
        self.components[name] = schema
        return {"$ref": REF + name}

    def resolve(self, schema: dict[str, t.Any]) -> dict[str, t.Any]:
        """Follow a ``$ref`` into ``components``."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            return self.components.get(ref[len(REF) :], {})
        return schema


def _is_mapping(origin: t.Any) -> bool:
    import collections.abc

    return isinstance(origin, type) and issubclass(origin, collections.abc.Mapping)
