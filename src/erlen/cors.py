"""Cross-Origin Resource Sharing, following the Fetch standard.

``CORS(app)`` grants cross-origin access to the whole app (or to the paths in
``resources``); ``@cross_origin()`` grants it to one view. The names follow
Flask-CORS 6. Everything a response needs is worked out once, at set-up: the
request path only matches the origin and copies ready header values.

Rules kept here (Fetch, "CORS protocol"):

* a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered
  ``204`` with the allowed methods, headers and max-age, before any view runs
  -- also for routes that define only ``POST``;
* an actual request gets ``Access-Control-Allow-Origin`` echoing the origin
  when it is allowed, and ``Vary: Origin`` whenever the answer depends on it;
* a disallowed origin gets no grant at all (no ``Access-Control-*`` headers);
* credentials never go with a wildcard: ``supports_credentials=True`` together
  with ``origins="*"`` is a configuration error raised at start-up.

Origins are exact strings (compared case-insensitively), lists of them, or
compiled regular expressions (``re.compile(r"https://.*\\.example\\.com")``),
which must match the whole origin. A plain string is never a regex, so
``"https://example.com"`` cannot match ``https://example.com.evil.net``.
"""

from __future__ import annotations

import functools
import re
import typing as t
from datetime import timedelta

from .exceptions import MethodNotAllowed
from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .blueprints import Blueprint
    from .request import Request
    from .response import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

OriginsOption = t.Union[
    str, "re.Pattern[str]", t.Iterable[t.Union[str, "re.Pattern[str]"]]
]

ALL_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")

#: Defaults, as Flask-CORS: every origin, every method, any request header,
#: no credentials. ``app.config["CORS_<NAME>"]`` overrides them for ``CORS``.
DEFAULT_OPTIONS: dict[str, t.Any] = {
    "origins": "*",
    "methods": ALL_METHODS,
    "allow_headers": "*",
    "expose_headers": None,
    "supports_credentials": False,
    "max_age": None,
    "send_wildcard": False,
    "vary_header": True,
    "automatic_options": True,
    "allow_private_network": False,
}

_TOKEN_LIST = re.compile(
    r"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*"
)
_EVALUATED = "erlen.cors.evaluated"  # environ key: a view's policy already ran
_MAX_ECHO = 2048  # longest Origin or request-headers list we echo back


def _as_list(value: t.Any) -> list[t.Any]:
    if value is None:
        return []
    if isinstance(value, (str, re.Pattern)):
        return [value]
    return list(value)


def _names(value: t.Any, what: str) -> list[str]:
    """A header-name or method list from a string (comma separated) or list."""
    if isinstance(value, str):
        value = value.split(",")
    out = [str(v).strip() for v in _as_list(value) if str(v).strip()]
    for name in out:
        if name != "*" and not _TOKEN_LIST.fullmatch(name):
            raise ValueError(f"CORS {what} contains an invalid name: {name!r}")
    return out


def _seconds(value: t.Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    seconds = int(value)
    if seconds < 0:
        raise ValueError("CORS max_age must not be negative")
    return str(seconds)


class _Policy:
    """One set of CORS options, turned into ready header values."""

    __slots__ = (
        "any_origin",
        "origin_set",
        "origin_regexes",
        "wildcard",
        "vary",
        "methods",
        "echo_headers",
        "actual_headers",
        "preflight_headers",
        "private_network",
        "automatic_options",
    )

    def __init__(self, options: t.Mapping[str, t.Any]) -> None:
        unknown = set(options) - set(DEFAULT_OPTIONS)
        if unknown:
            raise TypeError(f"unknown CORS options: {', '.join(sorted(unknown))}")
        opts = {**DEFAULT_OPTIONS, **options}
        origins = _as_list(opts["origins"])
        credentials = bool(opts["supports_credentials"])
        self.any_origin = any(o == "*" for o in origins)
        self.origin_set = frozenset(
            o.lower().rstrip("/") for o in origins if isinstance(o, str) and o != "*"
        )
        for origin in self.origin_set:
            if not (origin.isascii() and origin.isprintable()):
                raise ValueError(f"CORS origin is not a valid origin: {origin!r}")
        self.origin_regexes = tuple(o for o in origins if isinstance(o, re.Pattern))
        for origin in origins:
            if not isinstance(origin, (str, re.Pattern)):
                raise TypeError(f"CORS origins must be str or re.Pattern: {origin!r}")
        if credentials and self.any_origin:
            raise ValueError(
                "CORS supports_credentials=True cannot be combined with a wildcard"
                " origin ('*'): list the trusted origins explicitly."
            )
        # A constant "*" needs no Vary; an echoed origin always does.
        self.wildcard = self.any_origin and bool(opts["send_wildcard"])
        self.vary = bool(opts["vary_header"]) and not self.wildcard

        methods = [m.upper() for m in _names(opts["methods"], "methods")]
        self.methods = frozenset(methods)
        allow_headers = _names(opts["allow_headers"], "allow_headers")
        self.echo_headers = "*" in allow_headers
        expose = _names(opts["expose_headers"], "expose_headers")
        self.private_network = bool(opts["allow_private_network"])
        self.automatic_options = bool(opts["automatic_options"])

        common: list[tuple[str, str]] = []
        if credentials:
            common.append(("Access-Control-Allow-Credentials", "true"))
        actual = list(common)
        if expose:
            actual.append(("Access-Control-Expose-Headers", ", ".join(expose)))
        preflight = list(common)
        if methods:
            preflight.append(("Access-Control-Allow-Methods", ", ".join(methods)))
        if allow_headers and not self.echo_headers:
            preflight.append(("Access-Control-Allow-Headers", ", ".join(allow_headers)))
        max_age = _seconds(opts["max_age"])
        if max_age is not None:
            preflight.append(("Access-Control-Max-Age", max_age))
        self.actual_headers = tuple(actual)
        self.preflight_headers = tuple(preflight)

    def allow_origin(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None."""
        if self.wildcard:
            return "*"
        if len(origin) > _MAX_ECHO or not (origin.isascii() and origin.isprintable()):
            return None
        if self.any_origin or origin.lower() in self.origin_set:
            return origin
        for pattern in self.origin_regexes:
            if pattern.fullmatch(origin):
                return origin
        return None

    def preflight(self, request: Request, response: Response) -> Response:
        """Fill a preflight answer: the grant, or nothing but ``Vary``."""
        environ = request.environ
        headers = response.headers
        if self.vary:
            response.add_vary("Origin")
        grant = self.allow_origin(environ.get("HTTP_ORIGIN", ""))
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper()
        if grant is None or method not in self.methods:
            return response
        headers.set("Access-Control-Allow-Origin", grant)
        for name, value in self.preflight_headers:
            headers.set(name, value)
        if self.echo_headers:
            asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").strip()
            if asked and len(asked) <= _MAX_ECHO and _TOKEN_LIST.fullmatch(asked):
                headers.set("Access-Control-Allow-Headers", asked)
                if self.vary:
                    response.add_vary("Access-Control-Request-Headers")
        if (
            self.private_network
            and environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true"
        ):
            headers.set("Access-Control-Allow-Private-Network", "true")
        return response

    def actual(self, request: Request, response: Response) -> Response:
        """Add the grant to a non-preflight response, if the origin is allowed."""
        headers = response.headers
        if "Access-Control-Allow-Origin" in headers:
            return response  # a @cross_origin view already decided
        if self.vary:
            response.add_vary("Origin")
        origin = request.environ.get("HTTP_ORIGIN")
        if origin is None:
            return response
        grant = self.allow_origin(origin)
        if grant is None:
            return response
        headers.set("Access-Control-Allow-Origin", grant)
        for name, value in self.actual_headers:
            headers.set(name, value)
        return response


def _is_preflight(request: Request) -> bool:
    environ = request.environ
    return (
        request.method == "OPTIONS"
        and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        and "HTTP_ORIGIN" in environ
    )


def _empty_response(app: Erlen) -> Response:
    response = app.response_class(status=204)
    response.headers.pop("Content-Type", None)
    return response


def _path_matcher(pattern: t.Any) -> tuple[t.Callable[[str], bool], int]:
    """A test for ``request.path`` and its specificity (longer wins)."""
    if isinstance(pattern, re.Pattern):
        return (lambda path: pattern.fullmatch(path) is not None), len(pattern.pattern)
    if not isinstance(pattern, str) or not pattern.startswith(("/", "*")):
        raise ValueError(f"CORS resource must be a path or re.Pattern: {pattern!r}")
    if pattern.endswith("*"):
        prefix = pattern.rstrip("*")
        bare = prefix.rstrip("/")
        return (lambda path: path.startswith(prefix) or path == bare), len(prefix)
    return (lambda path: path == pattern), len(pattern) + 1


class CORS:
    """CORS for an app or a blueprint: ``CORS(app, origins=[...])``.

    ``resources`` maps path patterns (``"/api/*"``, an exact path, or an
    ``re.Pattern``) to option dicts that override the other arguments; the
    most specific pattern wins. Without it, every path of the app is covered.
    Options not passed come from ``app.config["CORS_ORIGINS"]`` and friends,
    then from :data:`DEFAULT_OPTIONS`.
    """

    def __init__(
        self,
        app: Erlen | Blueprint | None = None,
        resources: t.Any = None,
        **options: t.Any,
    ) -> None:
        self._resources = resources
        self._options = options
        self._policies: list[tuple[t.Callable[[str], bool], _Policy]] = []
        if app is not None:
            self.init_app(app)

    def init_app(
        self, app: Erlen | Blueprint, resources: t.Any = None, **options: t.Any
    ) -> None:
        """Build the policies now (config errors surface here) and hook in."""
        config = getattr(app, "config", None) or {}
        merged: dict[str, t.Any] = {}
        for name in DEFAULT_OPTIONS:
            key = f"CORS_{name.upper()}"
            if key in config:
                merged[name] = config[key]
        merged.update(self._options)
        merged.update(options)
        if resources is None:
            resources = self._resources
        if resources is None:
            resources = config.get("CORS_RESOURCES", "/*")
        if isinstance(resources, (str, re.Pattern)):
            resources = {resources: {}}
        elif not isinstance(resources, t.Mapping):
            resources = {r: {} for r in resources}
        entries = []
        for pattern, extra in resources.items():
            matcher, weight = _path_matcher(pattern)
            entries.append((weight, matcher, _Policy({**merged, **extra})))
        entries.sort(key=lambda e: e[0], reverse=True)
        self._policies = [(matcher, policy) for _, matcher, policy in entries]
        if isinstance(getattr(app, "extensions", None), dict):
            app.extensions["cors"] = self  # type: ignore[union-attr]
        app.before_request(self._handle_preflight)
        app.after_request(self._add_headers)

    def _policy_for(self, path: str) -> _Policy | None:
        for matcher, policy in self._policies:
            if matcher(path):
                return policy
        return None

    def _handle_preflight(self) -> Response | None:
        ctx = _cv_context.get()
        request = t.cast("Request", ctx.request)
        if request.method != "OPTIONS" or not _is_preflight(request):
            return None
        policy = self._policy_for(request.path)
        if policy is None or not policy.automatic_options:
            return None
        rule = request.url_rule
        if rule is None:
            if not isinstance(request.routing_exception, MethodNotAllowed):
                return None  # no such URL: the normal 404
        elif hasattr(ctx.app.view_functions.get(rule.endpoint), "_erlen_cors"):
            return None  # a @cross_origin view answers its own preflights
        return policy.preflight(request, _empty_response(ctx.app))

    def _add_headers(self, response: Response) -> Response:
        request = t.cast("Request", _cv_context.get().request)
        if request.method == "OPTIONS" and _is_preflight(request):
            return response  # answered (or refused) by _handle_preflight
        if _EVALUATED in request.environ:
            return response  # a @cross_origin view decided, grant or not
        policy = self._policy_for(request.path)
        if policy is None:
            return response
        return policy.actual(request, response)


def cross_origin(**options: t.Any) -> t.Callable[[F], F]:
    """CORS for one view: put it under ``@app.route``.

    Takes the same options as :class:`CORS` (app config is not consulted).
    The view answers its own preflights: the decorator turns off the
    automatic OPTIONS response for the route and replies before the view runs.
    """
    policy = _Policy(options)

    def decorator(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> Response:
            ctx = _cv_context.get()
            app = ctx.app
            request = t.cast("Request", ctx.request)
            request.environ[_EVALUATED] = True
            if policy.automatic_options and request.method == "OPTIONS":
                if _is_preflight(request):
                    return policy.preflight(request, _empty_response(app))
                response = app.make_default_options_response()
            else:
                response = app.make_response(app.ensure_sync(f)(*args, **kwargs))
            return policy.actual(request, response)

        w = t.cast(t.Any, wrapper)
        w._erlen_cors = policy
        if policy.automatic_options:
            w.provide_automatic_options = False
            w.required_methods = {*getattr(f, "required_methods", ()), "OPTIONS"}
        return t.cast(F, wrapper)

    return decorator
