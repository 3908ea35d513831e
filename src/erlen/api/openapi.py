"""The OpenAPI 3.1 document of an app: ``app.openapi()``.

Built from what the app already knows: rules and their converters, typed
parameters and return annotations (``signature.py``), docstrings (first line
→ summary, the rest → description), blueprints (→ tags), ``login_required``
(→ a cookie security scheme) and the errors erlen answers with (400, 401,
415, 422 as JSON problems).  :func:`doc` adds what cannot be inferred.
"""

from __future__ import annotations

import inspect
import typing as t

from .constraints import field_of
from .constraints import kinds_of
from .constraints import schema_keywords
from .schema import SchemaBuilder
from .serialize import response_type
from .signature import ParamInfo
from .signature import ViewInfo
from .signature import view_info
from .validate import strip_annotated

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..routing import Rule

__all__ = ["build_document", "doc"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

_CONVERTER_SCHEMAS: dict[str, dict[str, t.Any]] = {
    "IntegerConverter": {"type": "integer", "minimum": 0},
    "FloatConverter": {"type": "number", "minimum": 0},
    "UUIDConverter": {"type": "string", "format": "uuid"},
    "PathConverter": {"type": "string"},
}
_DOC_ATTR = "__erlen_doc__"
_HIDDEN_METHODS = frozenset({"HEAD", "OPTIONS"})
_PROBLEM = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
            },
            "required": ["status", "title", "detail"],
        }
    },
    "required": ["error"],
}
_FIELD_ERROR = {
    "type": "object",
    "properties": {
        "location": {
            "type": "string",
            "enum": ["query", "header", "cookie", "path", "body", "form", "file"],
        },
        "name": {"type": "string"},
        "message": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["location", "name", "message", "type"],
}


def doc(
    *,
    summary: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    status: int | None = None,
    responses: dict[int, str] | None = None,
    operation_id: str | None = None,
    deprecated: bool = False,
    hidden: bool = False,
) -> t.Callable[[F], F]:
    """Add to a view's OpenAPI operation what annotations cannot say.

    ``status`` is the success status (201 for a create); ``responses`` maps
    more statuses to descriptions (``{404: "No such item"}``); ``hidden``
    leaves the route out of the document.
    """
    values = {
        "summary": summary,
        "description": description,
        "tags": tags,
        "status": status,
        "responses": responses,
        "operation_id": operation_id,
        "deprecated": deprecated,
        "hidden": hidden,
    }

    def decorator(f: F) -> F:
        setattr(f, _DOC_ATTR, values)
        return f

    return decorator


def _doc_of(view: t.Callable[..., t.Any]) -> dict[str, t.Any]:
    found = getattr(view, _DOC_ATTR, None)
    if found is None:
        found = getattr(getattr(view, "__erlen_view__", None), _DOC_ATTR, None)
    return found or {}


def _path_of(rule: Rule) -> tuple[str, list[tuple[str, t.Any]]]:
    parts = []
    variables = []
    for kind, value in rule._parts:
        if kind == "static":
            parts.append(value)
        else:
            name, converter = value
            parts.append("{" + name + "}")
            variables.append((name, converter))
    return "".join(parts), variables


def _converter_schema(converter: t.Any) -> dict[str, t.Any]:
    name = type(converter).__name__
    if name == "AnyConverter":
        items = getattr(converter, "items", None)
        if items:
            return {"type": "string", "enum": list(items)}
    if name in ("IntegerConverter", "FloatConverter") and getattr(
        converter, "signed", False
    ):
        return {"type": _CONVERTER_SCHEMAS[name]["type"]}
    return dict(_CONVERTER_SCHEMAS.get(name, {"type": "string", "pattern": "^[^/]+$"}))


def build_document(
    app: Erlen,
    *,
    title: str | None = None,
    version: str | None = None,
    servers: list[dict[str, t.Any]] | None = None,
) -> dict[str, t.Any]:
    """The OpenAPI 3.1 document for every route of ``app``.

    ``title``/``version`` default to ``OPENAPI_TITLE``/``OPENAPI_VERSION``
    in the config, then the app's name and "0.1.0".
    """
    config = app.config
    builder = SchemaBuilder()
    paths: dict[str, dict[str, t.Any]] = {}
    used_ids: set[str] = set()
    secured = False
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint == "static" or endpoint.endswith(".static"):
            continue
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        extra = _doc_of(view)
        if extra.get("hidden"):
            continue
        template, variables = _path_of(rule)
        methods = sorted((rule.methods or set()) - _HIDDEN_METHODS)
        view_class = getattr(view, "view_class", None)
        for method in methods:
            handler = view
            if view_class is not None:  # a MethodView: document each handler
                handler = getattr(view_class, method.lower(), None) or view
            info = view_info(handler)
            extra = _doc_of(handler) or _doc_of(view)
            op = _operation(builder, handler, info, extra, rule, variables, method)
            if "security" not in op and _requires_login(view):
                # ``decorators = [login_required]`` on a class-based view
                # marks the function as_view() made, not its handlers.
                _add_security(op)
            op_id = extra.get("operation_id") or (
                endpoint if len(methods) == 1 else f"{endpoint}_{method.lower()}"
            )
            base, n = op_id, 1
            while op_id in used_ids:
                n += 1
                op_id = f"{base}_{n}"
            used_ids.add(op_id)
            op["operationId"] = op_id
            if "security" in op:
                secured = True
            paths.setdefault(template, {})[method.lower()] = op
    components: dict[str, t.Any] = {
        "schemas": {
            "Problem": _PROBLEM,
            "ValidationProblem": _validation_problem(),
            **dict(sorted(builder.components.items())),
        }
    }
    if secured:
        components["securitySchemes"] = {
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": config.get("SESSION_COOKIE_NAME", "session"),
                "description": "The signed session cookie set at login.",
            }
        }
    document: dict[str, t.Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title or config.get("OPENAPI_TITLE") or app.name,
            "version": version or config.get("OPENAPI_VERSION") or "0.1.0",
        },
        "paths": dict(sorted(paths.items())),
        "components": components,
    }
    servers = servers or config.get("OPENAPI_SERVERS")
    if servers:
        document["servers"] = servers
    return document


def _validation_problem() -> dict[str, t.Any]:
    schema = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    **_PROBLEM["properties"]["error"]["properties"],  # type: ignore[index]
                    "errors": {"type": "array", "items": _FIELD_ERROR},
                },
                "required": ["status", "title", "detail", "errors"],
            }
        },
        "required": ["error"],
    }
    return schema


def _problem(description: str, ref: str = "Problem") -> dict[str, t.Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {
                "schema": {"$ref": f"#/components/schemas/{ref}"}
            }
        },
    }


def _operation(  # noqa: C901
    builder: SchemaBuilder,
    view: t.Callable[..., t.Any],
    info: ViewInfo | None,
    extra: dict[str, t.Any],
    rule: Rule,
    variables: list[tuple[str, t.Any]],
    method: str,
) -> dict[str, t.Any]:
    op: dict[str, t.Any] = {}
    docstring = inspect.getdoc(getattr(view, "__erlen_view__", view)) or ""
    first, _, rest = docstring.partition("\n")
    summary = extra.get("summary") or first.strip()
    description = extra.get("description") or rest.strip()
    if summary:
        op["summary"] = summary
    if description:
        op["description"] = description
    tags = extra.get("tags")
    if tags is None and "." in rule.endpoint:
        tags = [rule.endpoint.rsplit(".", 1)[0]]
    if tags:
        op["tags"] = list(tags)
    if extra.get("deprecated"):
        op["deprecated"] = True

    params = info.params if info is not None else []
    typed_path = {p.name: p for p in params if p.location == "path"}
    parameters: list[dict[str, t.Any]] = []
    for name, converter in variables:
        p = typed_path.get(name)
        schema = builder.schema(p.annotation) if p else _converter_schema(converter)
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
        )
    body_json: ParamInfo | None = None
    form_fields: dict[str, t.Any] = {}
    form_required: list[str] = []
    has_files = False
    for p in params:
        if p.location in ("query", "header", "cookie"):
            parameters.extend(_parameters(builder, p))
        elif p.location == "body":
            body_json = p
        elif p.location in ("form", "file"):
            has_files = has_files or p.location == "file"
            _form_properties(builder, p, form_fields, form_required)
    if parameters:
        op["parameters"] = parameters
    if body_json is not None:
        op["requestBody"] = {
            "required": body_json.required,
            "content": {
                "application/json": {"schema": builder.schema(body_json.annotation)}
            },
        }
    elif form_fields:
        media = (
            "multipart/form-data"
            if has_files
            else ("application/x-www-form-urlencoded")
        )
        form_schema: dict[str, t.Any] = {"type": "object", "properties": form_fields}
        if form_required:
            form_schema["required"] = form_required
        op["requestBody"] = {
            "required": bool(form_required),
            "content": {media: {"schema": form_schema}},
        }

    status = str(extra.get("status") or 200)
    success: dict[str, t.Any] = {"description": "Success"}
    returns = info.return_annotation if info is not None else None
    if returns is None:
        hints = getattr(view, "__annotations__", {})
        returns = (
            hints.get("return") if not isinstance(hints.get("return"), str) else None
        )
    if returns is not None:
        body_tp = response_type(returns)
        if body_tp not in (None, type(None), str, bytes) and not _is_response(body_tp):
            success["content"] = {
                "application/json": {"schema": builder.schema(body_tp)}
            }
    responses: dict[str, t.Any] = {status: success}
    if body_json is not None:
        responses["400"] = _problem("The body is not valid JSON.")
        responses["415"] = _problem("The body is not JSON (Content-Type).")
    if params or variables and typed_path:
        responses["422"] = _problem(
            "A parameter or the body did not validate; every error is listed.",
            "ValidationProblem",
        )
    for code, text in (extra.get("responses") or {}).items():
        responses.setdefault(str(code), _problem(text))
    op["responses"] = dict(sorted(responses.items()))
    if (info is not None and info.login_required) or _requires_login(view):
        _add_security(op)
    return op


def _requires_login(view: t.Callable[..., t.Any]) -> bool:
    """Whether ``erlen.auth.login_required`` (or a wrapper of it) marks ``view``."""
    return bool(getattr(view, "login_required", False))


def _add_security(op: dict[str, t.Any]) -> None:
    op["security"] = [{"session": []}]
    responses = op["responses"]
    responses.setdefault("401", _problem("Not logged in."))
    op["responses"] = dict(sorted(responses.items()))


def _is_response(tp: t.Any) -> bool:
    from ..response import Response

    return isinstance(tp, type) and issubclass(tp, Response)


def _parameters(builder: SchemaBuilder, p: ParamInfo) -> list[dict[str, t.Any]]:
    if not p.structured:
        return [
            _parameter(
                p.wire_name,
                p.location,
                builder.schema(p.annotation),
                p.required,
                p.default,
                p.description,
            )
        ]
    model = builder.resolve(builder.schema(p.annotation))
    required = set(model.get("required", ()))
    return [
        _parameter(name, p.location, schema, name in required, None, None)
        for name, schema in model.get("properties", {}).items()
    ]


def _without_null(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """A text parameter has no null: ``Optional[X]`` is X, or absent."""
    members = schema.get("anyOf")
    if members and {"type": "null"} in members:
        rest = [m for m in members if m != {"type": "null"}]
        extra = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**rest[0], **extra} if len(rest) == 1 else {"anyOf": rest, **extra}
    return schema


def _parameter(
    name: str,
    location: str,
    schema: dict[str, t.Any],
    required: bool,
    default: t.Any,
    description: str | None,
) -> dict[str, t.Any]:
    schema = _without_null(dict(schema))
    if not required and default is not None and "default" not in schema:
        from .schema import _json_value

        schema["default"] = _json_value(default)
    out: dict[str, t.Any] = {
        "name": name,
        "in": location,
        "required": required,
        "schema": schema,
    }
    if description:
        out["description"] = description
    return out


def _form_properties(
    builder: SchemaBuilder,
    p: ParamInfo,
    fields: dict[str, t.Any],
    required: list[str],
) -> None:
    if p.location == "file":
        binary = {"type": "string", "format": "binary"}
        multi = t.get_origin(strip_annotated(p.annotation)) in (list, tuple)
        prop: dict[str, t.Any] = (
            {"type": "array", "items": binary} if multi else dict(binary)
        )
        field = field_of(p.annotation)
        if field is not None:
            prop.update(schema_keywords(field, kinds_of(p.annotation)))
        fields[p.wire_name] = prop
        if p.required:
            required.append(p.wire_name)
        return
    if p.structured:
        model = builder.resolve(builder.schema(p.annotation))
        fields.update(model.get("properties", {}))
        required.extend(model.get("required", ()))
        return
    fields[p.wire_name] = _without_null(builder.schema(p.annotation))
    if p.required:
        required.append(p.wire_name)
