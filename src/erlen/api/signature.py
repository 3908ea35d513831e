"""Typed views: read a view's signature once, build the per-request wrapper.

``Erlen.add_url_rule`` calls :func:`typed_view` for every view that has
annotations.  When no parameter carries a :class:`~erlen.api.params.Param`
and the return annotation needs no serialising, the view is registered
untouched, so a plain Flask-style view costs nothing.  Otherwise the wrapper
built here runs one pre-compiled extractor per parameter, collects every
error, and answers 422 with all of them before the view runs.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import types
import typing as t

from ..exceptions import HTTPException
from ..globals import _cv_context
from ..jsonapi import json_error
from ..request import _config
from ..request import _exceeds_depth
from .backends import body_decoder
from .backends import library_of
from .constraints import field_of
from .params import Param
from .serialize import needs_serializer
from .serialize import wrap_result
from .validate import INVALID
from .validate import ErrorList
from .validate import annotated
from .validate import compile_type
from .validate import field_types
from .validate import is_structured
from .validate import strip_annotated

if t.TYPE_CHECKING:
    from ..request import Request

__all__ = ["ParamInfo", "ViewInfo", "typed_view", "validation_error", "view_info"]

_MARKER_NAMES = ("Query[", "Body[", "Form[", "Header[", "Cookie[", "Path[", "File[")
_SEQUENCES = (list, tuple, set, frozenset)
Extractor = t.Callable[["Request", ErrorList], t.Any]


@dataclasses.dataclass
class ParamInfo:
    """One validated parameter, as the OpenAPI builder reads it."""

    name: str
    location: str
    wire_name: str
    annotation: t.Any
    required: bool
    default: t.Any
    description: str | None
    structured: bool


@dataclasses.dataclass
class ViewInfo:
    """What registration learnt about a typed view."""

    params: list[ParamInfo]
    return_annotation: t.Any
    login_required: bool


def view_info(view: t.Callable[..., t.Any]) -> ViewInfo | None:
    """The :class:`ViewInfo` of a registered view (None for an untyped one)."""
    return getattr(view, "__erlen_api__", None)


def validation_error(errors: ErrorList) -> HTTPException:
    """The 422 for ``errors``: each as ``{location, name, message, type}``."""
    items = []
    for path, message, kind in errors:
        location, *rest = path
        items.append(
            {
                "location": location,
                "name": ".".join(str(p) for p in rest),
                "message": message,
                "type": kind,
            }
        )
    return json_error(422, "The request did not validate.", errors=items)


def _defining_locals(view: t.Callable[..., t.Any]) -> dict[str, t.Any] | None:
    """The locals of the running function that defined ``view``, if any.

    Lets ``from __future__ import annotations`` name a model defined in the
    same function as the view (an app factory, a test).
    """
    code = getattr(inspect.unwrap(view), "__code__", None)
    frame = sys._getframe(1)
    while frame is not None and code is not None:
        if code in frame.f_code.co_consts:
            return dict(frame.f_locals)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _hints(view: t.Callable[..., t.Any]) -> dict[str, t.Any] | None:
    try:
        return t.get_type_hints(view, include_extras=True)
    except NameError as e:
        local_ns = _defining_locals(view)
        if local_ns is not None:
            try:
                return t.get_type_hints(view, localns=local_ns, include_extras=True)
            except Exception:
                pass
        return _unresolved(view, e)
    except Exception as e:
        return _unresolved(view, e)


def _unresolved(
    view: t.Callable[..., t.Any], e: BaseException | None
) -> dict[str, t.Any] | None:
    raw = getattr(view, "__annotations__", {})
    if any(
        isinstance(a, str) and any(m in a for m in _MARKER_NAMES) for a in raw.values()
    ):
        raise TypeError(
            f"The annotations of view {view.__qualname__!r} cannot be"
            f" resolved ({e}); define the types they name before the view."
        ) from e
    return None


def _param_of(annotation: t.Any) -> Param | None:
    if t.get_origin(annotation) is t.Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, Param):
                return meta
    return None


def _without_param(annotation: t.Any) -> t.Any:
    """The parameter's type: its ``Param`` dropped, a ``Field`` kept."""
    meta = tuple(m for m in annotation.__metadata__ if not isinstance(m, Param))
    if not meta:
        return strip_annotated(annotation)
    return annotated(annotation.__origin__, meta)


def typed_view(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any] | None:
    """The validating wrapper for ``view``, or None when it needs none."""
    hints = _hints(view)
    if not hints:
        return None
    signature = inspect.signature(view)
    params: list[ParamInfo] = []
    extractors: list[tuple[str, Extractor]] = []
    bodies = 0
    for name, parameter in signature.parameters.items():
        annotation = hints.get(name)
        marker = _param_of(annotation)
        if marker is None:
            continue
        location = marker.location
        if location in ("body", "form", "file"):
            bodies += 1
        wire = marker.alias or (
            name.replace("_", "-") if location == "header" else name
        )
        required = parameter.default is inspect.Parameter.empty
        default = None if required else parameter.default
        info = ParamInfo(
            name,
            location,
            wire,
            _without_param(annotation),
            required,
            default,
            marker.description,
            is_structured(annotation) and location not in ("body", "path"),
        )
        params.append(info)
        extractors.append((name, _extractor(info)))
    if bodies > 1 and any(p.location == "body" for p in params):
        raise TypeError(
            f"View {view.__qualname__!r} reads the JSON body twice; use one"
            " Body[...] parameter (a model with several fields)."
        )
    returns = hints.get("return", inspect.Signature.empty)
    serialize = returns is not inspect.Signature.empty and needs_serializer(
        returns, typed=bool(params)
    )
    if not params and not serialize:
        return None
    login = bool(getattr(view, "login_required", False))
    wrapper = _build(view, tuple(extractors), serialize)
    wrapper.__erlen_api__ = ViewInfo(  # type: ignore[attr-defined]
        params, None if returns is inspect.Signature.empty else returns, login
    )
    wrapper.__erlen_view__ = view  # type: ignore[attr-defined]
    return wrapper


def _build(
    view: t.Callable[..., t.Any],
    extractors: tuple[tuple[str, Extractor], ...],
    serialize: bool,
) -> t.Callable[..., t.Any]:
    check = getattr(view, "login_check", None)

    def prepare(kwargs: dict[str, t.Any]) -> t.Any:
        if check is not None:
            # Refuse anonymous users before telling them what is invalid.
            denied = check()
            if denied is not None:
                return denied
        request = t.cast("Request", _cv_context.get().request)
        errors: ErrorList = []
        for name, extract in extractors:
            kwargs[name] = extract(request, errors)
        if errors:
            raise validation_error(errors)
        return None

    if inspect.iscoroutinefunction(view):

        async def typed_async(*args: t.Any, **kwargs: t.Any) -> t.Any:
            denied = prepare(kwargs)
            if denied is not None:
                return denied
            rv = await view(*args, **kwargs)
            return wrap_result(rv) if serialize else rv

        return functools.wraps(view)(typed_async)

    # *args: a MethodView handler is called with ``self`` first.
    def typed(*args: t.Any, **kwargs: t.Any) -> t.Any:
        denied = prepare(kwargs)
        if denied is not None:
            return denied
        rv = view(*args, **kwargs)
        return wrap_result(rv) if serialize else rv

    return functools.wraps(view)(typed)


# -- extractors -----------------------------------------------------------------------


def _is_sequence(tp: t.Any) -> bool:
    tp = strip_annotated(tp)
    origin = t.get_origin(tp) or tp
    if origin in (t.Union, types.UnionType):
        return any(_is_sequence(a) for a in t.get_args(tp) if a is not type(None))
    return origin in _SEQUENCES


def _record_fields(tp: t.Any) -> dict[str, t.Any]:
    tp = strip_annotated(tp)
    library = library_of(tp)
    if library == "pydantic" and hasattr(tp, "model_fields"):
        return {(f.alias or n): f.annotation for n, f in tp.model_fields.items()}
    if library == "msgspec":
        import msgspec

        return {f.encode_name: f.type for f in msgspec.structs.fields(tp)}
    return field_types(tp)


def _source(request: Request, location: str) -> t.Any:
    if location == "query":
        return request.args
    if location == "form":
        return request.form
    if location == "header":
        return request.headers
    if location == "cookie":
        return request.cookies
    return request.files


def _extractor(info: ParamInfo) -> Extractor:
    location = info.location
    if location == "body":
        return _body_extractor(info)
    if location == "path":
        return _path_extractor(info)
    if info.structured:
        return _record_extractor(info)
    multi = _is_sequence(info.annotation)
    conv = compile_type(info.annotation, strings=True)
    wire, required, default = info.wire_name, info.required, info.default
    path = (location, info.name)

    def extract(request: Request, errors: ErrorList) -> t.Any:
        source = _source(request, location)
        if multi:
            value = source.getlist(wire)
            if not value:
                if not required:
                    return default
                value = []
        else:
            value = source.get(wire)
            if value is None:
                if required:
                    errors.append((path, "field required", "missing"))
                    return INVALID
                return default
        return conv(value, path, errors)

    return extract


def _record_extractor(info: ParamInfo) -> Extractor:
    fields = _record_fields(info.annotation)
    lists = frozenset(name for name, tp in fields.items() if _is_sequence(tp))
    conv = compile_type(info.annotation, strings=True)
    location = info.location

    def extract(request: Request, errors: ErrorList) -> t.Any:
        source = _source(request, location)
        data = {
            key: source.getlist(key) if key in lists else source.get(key)
            for key in fields
            if key in source
        }
        return conv(data, (location,), errors)

    return extract


def _path_extractor(info: ParamInfo) -> Extractor:
    conv = compile_type(info.annotation, strings=True)
    # A value the rule's converter made (``<int:n>``) still meets its bounds.
    bounded = field_of(info.annotation) is not None
    check = compile_type(info.annotation) if bounded else None
    name = info.name

    def extract(request: Request, errors: ErrorList) -> t.Any:
        value = (request.view_args or {}).get(name)
        if value.__class__ is not str:
            if check is None:
                return value  # the rule's converter already made it a value
            return check(value, ("path", name), errors)
        return conv(value, ("path", name), errors)

    return extract


def _body_extractor(info: ParamInfo) -> Extractor:
    decode = body_decoder(info.annotation)
    conv = None if decode is not None else compile_type(info.annotation)
    required, default = info.required, info.default

    def extract(request: Request, errors: ErrorList) -> t.Any:
        try:
            return read(request, errors)
        except HTTPException as e:
            if e.code is None or getattr(e, "extra", None) is not None:
                raise
            # 400 / 413 / 415 as JSON problems, like the 422s of this view.
            raise json_error(e.code, e.description) from None

    def read(request: Request, errors: ErrorList) -> t.Any:
        if not required and not request.content_length and not request.is_json:
            return default
        if decode is None:
            value = request.get_json()
            return conv(value, ("body",), errors)  # type: ignore[misc]
        if not request.is_json:
            return request.on_json_loading_failed(None)
        data = request.get_data()
        scratch: ErrorList = []
        max_depth = _config("MAX_JSON_DEPTH", 512)
        if max_depth is not None and _exceeds_depth(data, max_depth):
            return request.on_json_loading_failed(
                ValueError(f"JSON nested deeper than {max_depth} levels")
            )
        try:
            value = decode(data, scratch)
        except ValueError as e:
            return request.on_json_loading_failed(e)
        for path, message, kind in scratch:
            errors.append((("body", *path), message, kind))
        return value

    return extract
