"""CSRF protection: a per-session secret, HMAC-signed expiring tokens.

The session holds a random secret (``_csrf_token``); forms and scripts get
that secret signed and timestamped by itsdangerous (Flask-WTF's scheme), so
each page may show a different-looking token and old ones expire.  A POST,
PUT, PATCH or DELETE must send the token in the form field ``csrf_token`` or
an ``X-CSRFToken`` / ``X-CSRF-Token`` header; otherwise it is a 400 whose
description says why: "CSRF token missing", "CSRF token invalid", "CSRF
token expired" or "CSRF session token missing".  On https the Referer must
also be same-origin (``CSRF_SSL_STRICT``).

Settings (the ``WTF_CSRF_*`` names of Flask-WTF are read as fallbacks):
``CSRF_ENABLED`` (True), ``CSRF_CHECK_DEFAULT`` (True), ``CSRF_SECRET_KEY``
(SECRET_KEY), ``CSRF_METHODS``, ``CSRF_FIELD_NAME`` ("csrf_token"),
``CSRF_HEADERS``, ``CSRF_TIME_LIMIT`` (3600 seconds; None for the session's
life), ``CSRF_SSL_STRICT`` (True).
"""

from __future__ import annotations

import hmac
import secrets
import typing as t
from urllib.parse import urlsplit

from itsdangerous import BadData
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from .exceptions import BadRequest
from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .blueprints import Blueprint

__all__ = [
    "CSRFError",
    "CSRFProtect",
    "ValidationError",
    "generate_csrf",
    "validate_csrf",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: The session key of the per-session secret (erlen.auth replaces it at login).
SESSION_KEY = "_csrf_token"
_SALT = "erlen-csrf-token"
_MAX_TOKEN = 512

_DEFAULTS: dict[str, t.Any] = {
    "ENABLED": True,
    "CHECK_DEFAULT": True,
    "SECRET_KEY": None,
    "METHODS": frozenset({"POST", "PUT", "PATCH", "DELETE"}),
    "FIELD_NAME": "csrf_token",
    "HEADERS": ("X-CSRFToken", "X-CSRF-Token"),
    "TIME_LIMIT": 3600,
    "SSL_STRICT": True,
}


class ValidationError(ValueError):
    """A token that did not validate; ``str(e)`` is the reason."""


class CSRFError(BadRequest):
    """*400*: the CSRF check failed; ``description`` is the reason."""

    description = "CSRF token invalid"


def _setting(app: Erlen, name: str) -> t.Any:
    config = app.config
    key = f"CSRF_{name}"
    if key in config:
        return config[key]
    legacy = f"WTF_CSRF_{name}"
    if legacy in config:
        return config[legacy]
    return _DEFAULTS[name]


def _context() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError("CSRF tokens need an active request context.")
    return ctx


_serializers: dict[t.Any, URLSafeTimedSerializer] = {}


def _serializer(app: Erlen, secret_key: t.Any = None) -> URLSafeTimedSerializer:
    if secret_key is None:
        secret_key = _setting(app, "SECRET_KEY") or app.secret_key
    if not secret_key:
        raise RuntimeError("A secret key is required to use CSRF.")
    fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
    cache_key = (secret_key, fallbacks)
    serializer = _serializers.get(cache_key)
    if serializer is None:
        serializer = URLSafeTimedSerializer([*fallbacks, secret_key], salt=_SALT)
        if len(_serializers) >= 8:
            _serializers.clear()
        _serializers[cache_key] = serializer
    return serializer


def generate_csrf(secret_key: t.Any = None, token_key: str | None = None) -> str:
    """This session's CSRF token, signed; the same value within a request."""
    ctx = _context()
    key = token_key or SESSION_KEY
    g = ctx.g
    cached = g.get(key)
    if cached is not None:
        return t.cast(str, cached)
    session = ctx.session
    raw = session.get(key)
    if not isinstance(raw, str) or len(raw) < 32:
        raw = session[key] = secrets.token_hex(32)
    token = _serializer(ctx.app, secret_key).dumps(raw)
    setattr(g, key, token)
    return token


def validate_csrf(
    data: t.Any,
    secret_key: t.Any = None,
    time_limit: int | None = None,
    token_key: str | None = None,
) -> None:
    """Raise :class:`ValidationError` unless ``data`` is this session's token."""
    if not data or not isinstance(data, str):
        raise ValidationError("CSRF token missing")
    ctx = _context()
    app = ctx.app
    if time_limit is None:
        time_limit = _setting(app, "TIME_LIMIT")
    raw = ctx.session.get(token_key or SESSION_KEY)
    if not isinstance(raw, str):
        raise ValidationError("CSRF session token missing")
    if len(data) > _MAX_TOKEN:
        raise ValidationError("CSRF token invalid")
    try:
        value = _serializer(app, secret_key).loads(data, max_age=time_limit)
    except SignatureExpired:
        raise ValidationError("CSRF token expired") from None
    except (BadData, ValueError, TypeError):
        raise ValidationError("CSRF token invalid") from None
    if not isinstance(value, str) or not hmac.compare_digest(
        value.encode("utf-8", "replace"), raw.encode("utf-8", "replace")
    ):
        raise ValidationError("CSRF token invalid")


def _same_origin(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.scheme, first.netloc.lower()) == (
        second.scheme,
        second.netloc.lower(),
    )


class CSRFProtect:
    """Checks every unsafe request: ``csrf = CSRFProtect(app)``.

    ``@csrf.exempt`` skips a view (or a whole blueprint);
    ``CSRF_CHECK_DEFAULT = False`` makes the check opt-in via
    :meth:`protect` in the views that want it.
    """

    def __init__(self, app: Erlen | None = None) -> None:
        self._exempt_views: set[str] = set()
        self._exempt_blueprints: set[str] = set()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Erlen) -> None:
        app.extensions["csrf"] = self
        app.jinja_env.globals["csrf_token"] = generate_csrf
        app.before_request(self._check)

    def _check(self) -> None:
        ctx = _context()
        request = ctx.request
        app = ctx.app
        # PERF: safe methods leave after one set lookup.
        if request.method not in _setting(app, "METHODS"):
            return
        if not _setting(app, "ENABLED") or not _setting(app, "CHECK_DEFAULT"):
            return
        endpoint = request.endpoint
        if not endpoint:
            return  # a 404 / 405 follows
        if self._exempt_blueprints and any(
            name in self._exempt_blueprints for name in request.blueprints
        ):
            return
        view = app.view_functions.get(endpoint)
        if view is not None and f"{view.__module__}.{view.__name__}" in (
            self._exempt_views
        ):
            return
        self.protect()

    def _token_from_request(self, app: Erlen) -> str | None:
        request = _context().request
        for header in _setting(app, "HEADERS"):
            value = request.headers.get(header)
            if value:
                return t.cast(str, value)
        field = _setting(app, "FIELD_NAME")
        value = request.form.get(field)
        if value:
            return t.cast(str, value)
        return None

    def protect(self) -> None:
        """Check this request now; raise :class:`CSRFError` when it fails."""
        ctx = _context()
        app = ctx.app
        request = ctx.request
        try:
            validate_csrf(self._token_from_request(app))
        except ValidationError as e:
            raise CSRFError(str(e)) from None
        if request.is_secure and _setting(app, "SSL_STRICT"):
            referrer = request.referrer
            if not referrer:
                raise CSRFError("The referrer header is missing.")
            if not _same_origin(referrer, request.host_url):
                raise CSRFError("The referrer does not match the host.")

    def exempt(self, view: F | Blueprint | str) -> t.Any:
        """Skip the check for a view function, a blueprint, or ``"module.name"``."""
        from .blueprints import Blueprint

        if isinstance(view, Blueprint):
            self._exempt_blueprints.add(view.name)
            return view
        if isinstance(view, str):
            self._exempt_views.add(view)
            return view
        self._exempt_views.add(f"{view.__module__}.{view.__name__}")
        return view
