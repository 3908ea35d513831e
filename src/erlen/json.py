"""JSON: the app's provider (stdlib ``json``) and ``jsonify``.

The provider keeps one encoder per combination of settings, so a request
does not build a new ``JSONEncoder`` for each ``dumps`` as ``json.dumps(...,
default=...)`` would.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import json.encoder as _json_encoder
import typing as t
import uuid
import weakref
from datetime import date

from .globals import _cv_context
from .http import http_date

if t.TYPE_CHECKING:
    from .app import Erlen
    from .response import Response


def _default(o: t.Any) -> t.Any:
    """Types the stdlib encoder does not know, as Flask serialises them."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _fast_encoder(
    ensure_ascii: bool, sort_keys: bool, default: t.Callable[[t.Any], t.Any]
) -> t.Any:
    """The C encoder ``JSONEncoder.iterencode`` would build, or None."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return None
    strings = (
        _json_encoder.encode_basestring_ascii
        if ensure_ascii
        else _json_encoder.encode_basestring
    )
    return make(None, default, strings, None, ":", ",", sort_keys, False, True)


class JSONProvider:
    """The interface an app's ``json`` attribute provides."""

    def __init__(self, app: Erlen) -> None:
        # A proxy, not the app: app.json -> provider -> app would be a cycle.
        self._app: Erlen = t.cast("Erlen", weakref.proxy(app))

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """stdlib ``json`` with Flask's defaults: sorted keys, dates as HTTP dates."""

    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: Erlen) -> None:
        super().__init__(app)
        self._encoders: dict[tuple[t.Any, ...], _json.JSONEncoder] = {}
        self._fast_key: tuple[t.Any, ...] | None = None
        self._fast: t.Any = None

    def _encode(self, obj: t.Any) -> str:
        """Compact ``dumps`` with the provider's settings.

        PERF: ``JSONEncoder.encode`` builds a C encoder per call; one built
        per setting is reused here.  It runs without the circular-reference
        markers (shared markers would be unsafe across threads), so a cycle
        ends in RecursionError; the stdlib path then raises its usual
        ValueError.
        """
        key = (self.ensure_ascii, self.sort_keys, self.default)
        if key != self._fast_key:
            self._fast = _fast_encoder(*key)
            self._fast_key = key
        fast = self._fast
        if fast is None:
            return self._encoder(None).encode(obj)
        try:
            return "".join(fast(obj, 0))
        except RecursionError:
            return self._encoder(None).encode(obj)

    def _encoder(self, indent: int | None) -> _json.JSONEncoder:
        key = (self.ensure_ascii, self.sort_keys, indent, self.default)
        encoder = self._encoders.get(key)
        if encoder is None:
            encoder = _json.JSONEncoder(
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                indent=indent,
                separators=(",", ":") if indent is None else (",", ": "),
                default=self.default,
            )
            self._encoders[key] = encoder
        return encoder

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        if kwargs:
            kwargs.setdefault("default", self.default)
            kwargs.setdefault("ensure_ascii", self.ensure_ascii)
            kwargs.setdefault("sort_keys", self.sort_keys)
            return _json.dumps(obj, **kwargs)
        return self._encode(obj)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return _json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        # PERF: the two usual calls, jsonify(obj) and jsonify(key=value),
        # without the general helper (bench `json`).
        if not kwargs and len(args) == 1:
            obj = args[0]
        elif kwargs and not args:
            obj = kwargs
        else:
            obj = self._prepare_response_obj(args, kwargs)
        app = self._app
        compact = self.compact
        if compact is False or (compact is None and app.debug):
            body = self._encoder(2).encode(obj)
        else:
            body = self._encode(obj)
        return app.response_class(f"{body}\n", mimetype=self.mimetype)


def _app() -> Erlen | None:
    ctx = _cv_context.get(None)
    return ctx.app if ctx is not None else None


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialise with the current app's provider, or stdlib defaults outside one."""
    app = _app()
    if app is not None:
        return app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    app = _app()
    if app is not None:
        return app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    return loads(fp.read(), **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response from one value, several (a list) or keyword arguments."""
    ctx = _cv_context.get(None)
    if ctx is None:
        raise RuntimeError("jsonify() needs an application context.")
    return ctx.app.json.response(*args, **kwargs)
