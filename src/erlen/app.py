"""The application object: configuration, registration, dispatch, errors.

``wsgi_app`` is the request path (see ARCHITECTURE.md): match, hooks, view,
response, session save, teardown.  Each optional step is skipped with one
truthiness check when nothing is registered for it.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
import typing as t
import weakref
from datetime import timedelta
from itertools import chain
from types import CoroutineType
from types import FunctionType
from types import GeneratorType
from types import MethodType

from .config import Config
from .config import ConfigAttribute
from .ctx import AppContext
from .ctx import RequestContext
from .ctx import _AppCtxGlobals
from .exceptions import Aborter
from .exceptions import BadRequestKeyError
from .exceptions import HTTPException
from .exceptions import InternalServerError
from .exceptions import NotFound
from .globals import _cv_context
from .globals import g
from .globals import request
from .globals import session
from .helpers import _redirect
from .json import DefaultJSONProvider
from .json import JSONProvider
from .request import Request
from .response import Response
from .routing import BuildError
from .routing import Map
from .routing import RequestRedirect
from .routing import RoutingException
from .routing import Rule
from .routing import build_query
from .scaffold import Scaffold
from .scaffold import _endpoint_from_view_func
from .scaffold import setupmethod
from .utils import cached_property

if t.TYPE_CHECKING:
    from .blueprints import Blueprint
    from .sessions import SessionInterface
    from .sessions import SessionMixin
    from .testing import ErlenClient
    from .testing import ErlenCliRunner

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Set by erlen.signals when blinker is imported; None means signals cost nothing.
_SIGNALS: t.Any = None

#: Erlen._proxy_fix before the first request has read TRUSTED_PROXIES.
_UNRESOLVED: t.Any = object()


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


_loop_local = threading.local()
_CO_COROUTINE = inspect.CO_COROUTINE


def _run_coroutine(coro: t.Any) -> t.Any:
    """Run an ``async def`` view or hook to completion on a per-thread loop."""
    loop = getattr(_loop_local, "loop", None)
    if loop is None or loop.is_closed():
        # Imported here: asyncio costs import time no sync-only app needs.
        import asyncio

        loop = _loop_local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)


def _is_async(func: t.Any) -> bool:
    """``async def`` functions, and what asyncio marks as such (AsyncMock).

    asyncio is only asked when something already imported it: whatever
    carries its marker did.
    """
    # PERF: a plain function (or bound method) answers from its code flags
    # when it carries no attribute that could be a marker; inspect takes
    # four calls to say the same (MethodView runs ensure_sync per request).
    f = func.__func__ if func.__class__ is MethodType else func
    if f.__class__ is FunctionType:
        if f.__code__.co_flags & _CO_COROUTINE:
            return True
        if not f.__dict__:
            return False
    if inspect.iscoroutinefunction(func):
        return True
    asyncio = sys.modules.get("asyncio")
    marker = getattr(func, "_is_coroutine", None)
    if asyncio is None or marker is None:
        return False
    return marker is getattr(asyncio.coroutines, "_is_coroutine", None)


class _SessionInterfaceDefault:
    """Creates the default cookie session interface on first use."""

    def __get__(self, obj: t.Any, owner: type) -> SessionInterface:
        from .sessions import SecureCookieSessionInterface

        interface = SecureCookieSessionInterface()
        owner.session_interface = interface  # type: ignore[attr-defined]
        return interface


_NO_SERVER_NAME = (
    "Unable to build URLs outside an active request without 'SERVER_NAME'"
    " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME'"
    " as needed."
)


class Erlen(Scaffold):
    """The WSGI application: ``app = Erlen(__name__)``.

    ``import_name`` locates the app's folders (templates, static, instance)
    as in Flask: a module's or package's folder, or the current directory for
    ``__main__``.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    aborter_class: type[Aborter] = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[ErlenClient] | None = None
    test_cli_runner_class: type[ErlenCliRunner] | None = None
    session_interface: SessionInterface = _SessionInterfaceDefault()  # type: ignore[assignment]
    jinja_options: dict[str, t.Any] = {}
    permanent_session_lifetime = ConfigAttribute(
        "PERMANENT_SESSION_LIFETIME", get_converter=_make_timedelta
    )
    secret_key = ConfigAttribute("SECRET_KEY")
    testing = ConfigAttribute("TESTING")

    default_config: dict[str, t.Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "TRUSTED_PROXY_HOPS": 0,
        "TRUSTED_PROXIES": (),
        "PROXY_FIX_HOPS": 1,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": None,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "MAX_FORM_FIELDS": 1_000,
        "MAX_QUERY_FIELDS": 1_000,
        "MAX_JSON_DEPTH": 512,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
    }

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self.teardown_appcontext_funcs: list[t.Callable[..., t.Any]] = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_build_error_handlers: list[t.Callable[..., t.Any]] = []
        self._got_first_request = False
        self._plain_routing = self._plain_routing_class()
        #: Registered hooks -> what ``ensure_sync`` made of them (see _synced).
        self._synced_funcs: dict[t.Callable[..., t.Any], t.Callable[..., t.Any]] = {}
        self.template_context_processors[None].append(_default_template_ctx_processor)
        if self.has_static_folder:
            assert bool(static_host) == host_matching, (
                "Invalid static_host/host_matching combination"
            )
            # A weak reference: a bound method here would make a cycle, and
            # the app would wait for the garbage collector to be freed.
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- configuration ----------------------------------------------------------

    @cached_property
    def name(self) -> str:  # type: ignore[override]
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return str(self.import_name)

    def make_config(self, instance_relative: bool = False) -> Config:
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        from .helpers import get_debug_flag

        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def auto_find_instance_path(self) -> str:
        """``instance/`` next to the app's package, or ``<prefix>/var/<name>-
        instance`` when the package is installed (as Flask places it)."""
        from .packages import find_package

        prefix, package = find_package(self.import_name)
        if prefix is not None:
            return os.path.join(prefix, "var", f"{self.name}-instance")
        return os.path.join(package or self.root_path, "instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open a file in the instance folder (reading or writing)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)  # type: ignore[return-value]
        return open(path, mode, encoding=encoding)  # type: ignore[return-value]

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if (
            self.config["TEMPLATES_AUTO_RELOAD"] is None
            and "jinja_env" in self.__dict__
        ):
            self.jinja_env.auto_reload = value

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app; debug level in debug mode.

        It writes to ``wsgi.errors`` unless logging is configured (erlen.logs).
        """
        from .logs import create_logger

        return create_logger(self)

    @cached_property
    def cli(self) -> t.Any:
        """The app's click group: ``@app.cli.command()`` adds commands."""
        from .cli import AppGroup

        return AppGroup(self.name)

    @cached_property
    def aborter(self) -> Aborter:
        """What :func:`erlen.abort` raises through inside this app."""
        return self.make_aborter()

    def make_aborter(self) -> Aborter:
        return self.aborter_class()

    @property
    def got_first_request(self) -> bool:
        return self._got_first_request

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )

    # -- templates (the environment lives in erlen.templating) -----------------

    @cached_property
    def jinja_env(self) -> t.Any:
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> t.Any:
        from .templating import create_environment

        return create_environment(self)

    def create_global_jinja_loader(self) -> t.Any:
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' names (app, then blueprints) to ``context``."""
        names: t.Iterable[str | None] = (None,)
        ctx = _cv_context.get(None)
        if ctx is not None and ctx.request is not None:
            names = chain(names, reversed(ctx.request.blueprints))
        orig = context.copy()
        for name in names:
            for func in self.template_context_processors.get(name, ()):
                context.update(self._synced(func)())
        context.update(orig)

    @setupmethod
    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(
        self, f: t.Callable[..., bool], name: str | None = None
    ) -> None:
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        self.jinja_env.globals[name or f.__name__] = f

    # -- shell ------------------------------------------------------------------

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # -- registration -----------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint and, optionally, its view.

        A second, different function for an existing endpoint is an error
        at registration (not a silent override).
        """
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None:
                if getattr(old_func, "__erlen_view__", old_func) != view_func:
                    raise AssertionError(
                        "View function mapping is overwriting an existing"
                        f" endpoint function: {endpoint}"
                    )
            else:
                self.view_functions[endpoint] = _typed(view_func)

    def openapi(self, **options: t.Any) -> dict[str, t.Any]:
        """The OpenAPI 3.1 document of this app's routes (see erlen.api)."""
        from .api.openapi import build_document

        return build_document(self, **options)

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        return self.blueprints.values()

    def autodiscover(self, package: str) -> list[Blueprint]:
        """Import every module of ``package`` and register its blueprints."""
        from .blueprints import autodiscover

        return autodiscover(self, package)

    # -- contexts ---------------------------------------------------------------

    def app_context(self) -> AppContext:
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        ctx = RequestContext(self, environ)
        self._match_request(ctx.request)
        return ctx

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context from test-client arguments (path, method, data...)."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> ErlenClient:
        cls = self.test_client_class
        if cls is None:
            from .testing import ErlenClient

            cls = ErlenClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> ErlenCliRunner:
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import ErlenCliRunner

            cls = ErlenCliRunner
        return cls(self, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Start the development server (``erlen run`` is the usual way)."""
        from .serving import run_app

        run_app(
            self, host=host, port=port, debug=debug, load_dotenv=load_dotenv, **options
        )

    # -- signals ----------------------------------------------------------------

    def _signal(self, name: str, **kwargs: t.Any) -> None:
        if _SIGNALS is None:
            return
        signal = getattr(_SIGNALS, name, None)
        if signal is not None and signal.receivers:
            signal.send(self, _async_wrapper=self.ensure_sync, **kwargs)

    # -- sessions ---------------------------------------------------------------

    def _open_session(self, request: Request) -> SessionMixin:
        interface = self.session_interface
        session = interface.open_session(self, request)
        if session is None:
            session = interface.make_null_session(self)
        return session

    # -- the request path -------------------------------------------------------

    def _match_request(self, request: Request) -> None:
        environ = request.environ
        path = environ.get("PATH_INFO") or "/"
        if not path.isascii():
            path = path.encode("latin-1").decode("utf-8", "replace")
        if path[0] != "/":
            path = "/" + path
        if self.config["TRUSTED_HOSTS"]:
            # A request for an untrusted host is refused even if the view
            # never reads request.host (as Werkzeug's bind_to_environ does).
            try:
                request.host  # noqa: B018 - reading it validates it
            except HTTPException as e:
                request.routing_exception = e
                return
        domain = None
        if self.subdomain_matching or self.url_map.host_matching:
            try:
                domain = request._domain = self._request_domain(request)
            except HTTPException as e:
                request.routing_exception = e
                return
        # PERF: the router hands a miss back rather than raising it (bench `404`).
        rule, found = self.url_map._find(path, request.method, domain)
        if rule is not None:
            request.url_rule = rule
            request.view_args = found  # type: ignore[assignment]
            return
        if isinstance(found, RequestRedirect):
            qs = environ.get("QUERY_STRING")
            if qs:
                found.new_url = f"{found.new_url}?{qs}"
            root = request.script_root
            if root:
                found.new_url = root + found.new_url
        request.routing_exception = found  # type: ignore[assignment]

    def _request_domain(self, request: Request) -> str:
        """The subdomain (or the host, with host_matching) routing looks in."""
        host = request.host.lower()
        if self.url_map.host_matching:
            return host
        server_name = (self.config["SERVER_NAME"] or "").lower()
        if not server_name:
            return ""
        host = host.rsplit(":", 1)[0] if ":" in host and "]" not in host else host
        server_name = server_name.rsplit(":", 1)[0]
        if host.endswith("." + server_name):
            return host[: -len(server_name) - 1]
        if host == server_name or not self.subdomain_matching:
            return ""
        # As Werkzeug: a host outside SERVER_NAME matches no plain subdomain
        # (a "<variable>" one takes the value "<invalid>").  No warning: this
        # runs per request, and a server's log is not the place for it.
        return "<invalid>"

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """The WSGI application proper.

        ``__call__`` forwards here so middleware can wrap ``app.wsgi_app``
        and the app object stays the same.
        """
        ctx = RequestContext(self, environ)
        if _cv_context.get(None) is not None:
            ctx._share_outer_app_context()
        ctx._tokens.append(_cv_context.set(ctx))
        if _SIGNALS is not None and ctx._owns_app:
            self._signal("appcontext_pushed")  # as RequestContext.push does
        error: BaseException | None = None
        try:
            try:
                response = self.full_dispatch_request(ctx)
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except:  # record it for teardown, then re-raise
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            preserve = environ.get("erlen.preserve_context")
            if preserve is not None:
                preserve(ctx)
            if error is not None and self.should_ignore_error(error):
                error = None
            # PERF: skip the generic pop when nothing needs tearing down.
            # Only a request with a body can hold files to close; reading a
            # request's __dict__ costs (Python 3.11 then materialises it).
            if (
                len(ctx._tokens) == 1
                and not self.teardown_request_funcs
                and not self.teardown_appcontext_funcs
                and _SIGNALS is None
                and (
                    "CONTENT_TYPE" not in environ or "files" not in ctx.request.__dict__
                )
            ):
                _cv_context.reset(ctx._tokens.pop())
            else:
                ctx.pop(error)

    #: The ProxyFix for ``TRUSTED_PROXIES``: unresolved until the first call.
    _proxy_fix: t.Any = _UNRESOLVED

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        # PERF: without TRUSTED_PROXIES this is one attribute test per request.
        fix = self._proxy_fix
        if fix is not None:
            if fix is _UNRESOLVED:
                from .proxy_fix import proxy_fix_for_app

                fix = self._proxy_fix = proxy_fix_for_app(self.config)
            if fix is not None:
                fix.fix(environ)
        return self.wsgi_app(environ, start_response)

    def full_dispatch_request(self, ctx: RequestContext | None = None) -> Response:
        """Match, run hooks and the view, and turn the result into a response."""
        if ctx is None:
            ctx = t.cast(RequestContext, _cv_context.get())
        self._got_first_request = True
        request = ctx.request
        if request.url_rule is None and request.routing_exception is None:
            self._match_request(request)
        try:
            if _SIGNALS is not None:
                self._signal("request_started")
            rv = None
            if self.url_value_preprocessors or self.before_request_funcs:
                rv = self.preprocess_request()
            if rv is None:
                if request.url_rule is not None:
                    rv = self.dispatch_request(ctx)
                else:
                    rv = self._answer_routing_error(ctx)
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv, ctx=ctx)

    def _answer_routing_error(self, ctx: RequestContext) -> t.Any:
        """What the app answers for the request's routing error (404, 405,
        308...), as ``dispatch_request`` raising it would, without the raise.

        PERF: with no error handler, no trapping and no overridden handling
        the error is its own answer (bench `404`).
        """
        error: t.Any = ctx.request.routing_exception
        config = self.config
        if not self._plain_routing or (
            error.__class__ is not NotFound and config["DEBUG"]
        ):
            # A subclass's handling (or, in debug mode, the explanation of a
            # redirected form post) needs the raise: the generic way.
            return self.dispatch_request(ctx)
        if (
            self.error_handler_spec
            or config["TRAP_HTTP_EXCEPTIONS"]
            # Trapping bad requests changes nothing for a 404.
            or (error.__class__ is not NotFound and config["TRAP_BAD_REQUEST_ERRORS"])
        ):
            return self.handle_user_exception(error)
        # Extensions patch the handlers on the instance (Flask-RESTful).
        # PERF: not ``in self.__dict__``: on Python 3.11 a materialised
        # instance dict slows every later attribute read of the app.
        try:
            user = self.handle_user_exception.__func__  # type: ignore[attr-defined]
            http = self.handle_http_exception.__func__  # type: ignore[attr-defined]
        except AttributeError:  # a plain function or a partial: patched
            return self.handle_user_exception(error)
        if user is _HANDLE_USER_EXCEPTION and http is _HANDLE_HTTP_EXCEPTION:
            return error
        return self.handle_user_exception(error)

    def preprocess_request(self) -> t.Any:
        """Run url value preprocessors and before_request hooks (app first)."""
        request = t.cast(Request, _cv_context.get().request)
        names = (None, *reversed(request.blueprints))
        for name in names:
            for url_func in self.url_value_preprocessors.get(name, ()):
                url_func(request.endpoint, request.view_args)
        for name in names:
            for before_func in self.before_request_funcs.get(name, ()):
                rv = before_func()
                if rv.__class__ is CoroutineType:
                    rv = _run_coroutine(rv)
                if rv is not None:
                    return rv
        return None

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error; in debug mode, a 301/302 redirect of a
        form post raises FormDataRoutingRedirect, which says why it fails."""
        exc = request.routing_exception
        if (
            self.debug
            and isinstance(exc, RequestRedirect)
            and exc.code not in (307, 308)
            and request.method not in ("GET", "HEAD", "OPTIONS")
        ):
            from .debughelpers import FormDataRoutingRedirect

            raise FormDataRoutingRedirect(request)
        raise exc  # type: ignore[misc]

    def dispatch_request(self, ctx: RequestContext | None = None) -> t.Any:
        """Call the view for the matched rule (or raise the routing error)."""
        request = (ctx or t.cast(RequestContext, _cv_context.get())).request
        rule = request.url_rule
        if rule is None:
            self.raise_routing_exception(request)
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        rv = self.view_functions[rule.endpoint](**request.view_args)  # type: ignore[arg-type]
        if rv.__class__ is CoroutineType:
            rv = _run_coroutine(rv)
        return rv

    def make_default_options_response(self) -> Response:
        request = t.cast(Request, _cv_context.get().request)
        path = request.path
        methods = self.url_map.allowed_methods(path, getattr(request, "_domain", None))
        response = self.response_class()
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    def finalize_request(
        self,
        rv: t.Any,
        from_error_handler: bool = False,
        ctx: RequestContext | None = None,
    ) -> Response:
        response = self.make_response(rv)
        try:
            response = self.process_response(response, ctx)
            if _SIGNALS is not None:
                self._signal("request_finished", response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def process_response(
        self, response: Response, ctx: RequestContext | None = None
    ) -> Response:
        """after_request hooks (this request's, blueprints', app's), then save
        the session if it was opened."""
        if ctx is None:
            ctx = t.cast(RequestContext, _cv_context.get())
        if ctx._after_request_functions:
            for func in ctx._after_request_functions:
                response = self.ensure_sync(func)(response)
        if self.after_request_funcs:
            for name in chain(ctx.request.blueprints, (None,)):
                for func in reversed(self.after_request_funcs.get(name, ())):
                    response = self._synced(func)(response)
        session = ctx._session
        if (
            session is None
            and "HTTP_COOKIE" in ctx.request.environ
            and self.config["SESSION_REFRESH_EACH_REQUEST"]
            and _may_refresh(self, ctx.request)
        ):
            # A permanent session slides its expiry even when the view never
            # touched it; only requests carrying a cookie that may hold one
            # pay for opening it.
            try:
                session = ctx.session
            except HTTPException:
                # The session store is down (logged); the view did not need
                # the session, so its answer stands and the cookie is kept.
                session = None
        if session is not None:
            interface = self.session_interface
            if not interface.is_null_session(session):
                interface.save_session(self, session, response)
        return response

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        ctx = _cv_context.get()
        request = ctx.request
        if self.teardown_request_funcs and request is not None:
            for name in chain(request.blueprints, (None,)):
                for func in reversed(self.teardown_request_funcs.get(name, ())):
                    self._synced(func)(exc)
        self._signal("request_tearing_down", exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        for func in reversed(self.teardown_appcontext_funcs):
            self._synced(func)(exc)
        self._signal("appcontext_tearing_down", exc=exc)

    # -- responses --------------------------------------------------------------

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value into a response object.

        Accepts what Flask does: str, bytes, dict or list (JSON), a Response,
        an HTTPException, a generator or iterator (streamed), a WSGI callable,
        and tuples ``(body, status)``, ``(body, headers)``,
        ``(body, status, headers)``.
        """
        cls = rv.__class__
        # PERF: the common return types first (bench `plaintext`, `json`).
        if cls is str:
            return self.response_class(rv)
        if cls is dict or cls is list:
            return self.json.response(rv)
        status = headers = None
        if cls is tuple:
            if len(rv) == 2 and rv[1].__class__ is dict and rv[0].__class__ is str:
                # PERF: ``(body, {headers})`` straight into the constructor,
                # which merges them like ``headers.update`` (bench `plaintext`).
                return self.response_class(rv[0], headers=rv[1])
            rv, status, headers = _split_response_tuple(rv)
        if rv is None:
            raise _returned_none_error()
        if isinstance(rv, HTTPException):
            rv = rv.get_response()
            if not isinstance(rv, self.response_class):
                rv = self.response_class.force_type(rv)
        elif not isinstance(rv, self.response_class):
            if isinstance(rv, (str, bytes, bytearray, GeneratorType)) or (
                hasattr(rv, "__next__") and hasattr(rv, "__iter__")
            ):
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, Response) or callable(rv):
                ctx = _cv_context.get(None)
                environ = ctx.request.environ if ctx and ctx.request else None
                try:
                    rv = self.response_class.force_type(rv, environ)
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid"
                        " response. The return type must be a string,"
                        " dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it"
                        f" was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )
        if status is not None:
            rv.status = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    def redirect(self, location: str, code: int = 302) -> Response:
        return _redirect(location, code, self.response_class)

    # -- URL building -----------------------------------------------------------

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build a URL (see :func:`erlen.url_for`)."""
        ctx = _cv_context.get(None)
        request = ctx.request if ctx is not None else None
        if request is not None:
            blueprint = request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            if endpoint[:1] == ".":
                endpoint = endpoint[1:]
            if _external is None:
                _external = True
            if _external and self.config["SERVER_NAME"] is None:
                raise RuntimeError(_NO_SERVER_NAME)  # before any BuildError, as Flask
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            path, rule = self._build_path(endpoint, values, _method)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme)
            values["_external"] = _external
            return self.handle_url_build_error(error, endpoint, values)
        host = self._rule_host(rule, request, values)
        if host is not None and (request is None or host != request.host):
            _external = True
        if request is not None:
            root = request.script_root
            if _external:
                scheme = _scheme or request.scheme
                url = f"{scheme}://{host or request.host}{root}{path}"
            else:
                url = f"{root}{path}"
        else:
            server_name = self.config["SERVER_NAME"]
            app_root = (self.config["APPLICATION_ROOT"] or "/").rstrip("/")
            if _external:
                if server_name is None:
                    raise RuntimeError(_NO_SERVER_NAME)
                scheme = _scheme or self.config["PREFERRED_URL_SCHEME"]
                url = f"{scheme}://{host or server_name}{app_root}{path}"
            else:
                url = f"{app_root}{path}"
        if _anchor is not None:
            from urllib.parse import quote

            url = f"{url}#{quote(_anchor, safe='%!#$&()*+,/:;=?@~')}"
        return url

    def _rule_host(
        self, rule: Rule, request: Request | None, values: dict[str, t.Any]
    ) -> str | None:
        """The host a rule lives on, when it is not the current one."""
        pattern = rule._domain_pattern
        domain = (
            pattern.build(values, rule.defaults or {})
            if pattern is not None
            else (rule.host if self.url_map.host_matching else rule.subdomain)
        )
        if self.url_map.host_matching:
            return domain
        if domain is None:
            return None
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return None
        return f"{domain}.{server_name}" if domain else server_name

    def _build_path(
        self, endpoint: str, values: dict[str, t.Any], method: str | None
    ) -> tuple[str, Rule]:
        rules = self.url_map._rules_by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, values, method, self._suggest(endpoint))
        candidates = [r for r in rules if r.suitable_for(values, method)]
        if not candidates:
            missing = sorted(
                {a for r in rules for a in r.arguments if values.get(a) is None}
                - set().union(*(set(r.defaults or ()) for r in rules))
            )
            hint = f"Did you forget to specify values {missing!r}?" if missing else None
            raise BuildError(endpoint, values, method, hint)
        # Prefer a rule whose defaults cover the given values, then the rule
        # that uses the most of them (as Werkzeug orders build candidates).
        rule = max(
            candidates,
            key=lambda r: (
                sum(1 for k in (r.defaults or ()) if k in values),
                len(r.arguments & values.keys()),
            ),
        )
        path = rule.build(values)
        used = rule.arguments | set(rule.defaults or ())
        extra = {k: v for k, v in values.items() if k not in used}
        if extra:
            query = build_query(extra)
            if query:
                path = f"{path}?{query}"
        return path, rule

    def _suggest(self, endpoint: str) -> str | None:
        import difflib

        close = difflib.get_close_matches(endpoint, self.url_map._rules_by_endpoint)
        if close:
            return f"Did you mean {close[0]!r} instead?"
        return None

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        if not self.url_default_functions:
            return
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            bps = endpoint.rpartition(".")[0].split(".")
            names = chain(names, (".".join(bps[:i]) for i in range(1, len(bps) + 1)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return t.cast(str, rv)
        if error is sys.exc_info()[1]:
            raise
        raise error

    # -- errors -----------------------------------------------------------------

    def _find_error_handler(
        self, e: BaseException, blueprints: list[str]
    ) -> t.Callable[..., t.Any] | None:
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def _request_blueprints(self) -> list[str]:
        ctx = _cv_context.get(None)
        if ctx is None or ctx.request is None:
            return []
        return ctx.request.blueprints

    def trap_http_exception(self, e: Exception) -> bool:
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if (
            trap_bad_request is None
            and self.debug
            and isinstance(e, BadRequestKeyError)
        ):
            return True
        if trap_bad_request:
            from .exceptions import BadRequest

            return isinstance(e, BadRequest)
        return False

    def handle_http_exception(self, e: HTTPException) -> t.Any:
        if e.code is None:
            return e
        if isinstance(e, RoutingException) or not self.error_handler_spec:
            return e
        handler = self._find_error_handler(e, self._request_blueprints())
        if handler is None:
            return e
        return self._synced(handler)(e)

    def handle_user_exception(self, e: Exception) -> t.Any:
        """Find a handler for an exception raised by a view or hook."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, self._request_blueprints())
        if handler is None:
            if sys.exc_info()[1] is e:
                raise
            raise e
        return self._synced(handler)(e)

    def _plain_routing_class(self) -> bool:
        """True unless a subclass overrides how routing errors are raised
        or HTTP errors handled (then routing errors take the generic way)."""
        cls = type(self)
        return (
            cls.raise_routing_exception is Erlen.raise_routing_exception
            and cls.handle_user_exception is Erlen.handle_user_exception
            and cls.handle_http_exception is Erlen.handle_http_exception
            and cls.trap_http_exception is Erlen.trap_http_exception
        )

    def handle_exception(self, e: Exception) -> Response:
        """An exception nothing handled: log it and answer a generic 500.

        In testing (or with PROPAGATE_EXCEPTIONS) it is re-raised; in debug
        mode the debug page shows the traceback.  Never a traceback otherwise.
        """
        exc_info = sys.exc_info()
        self._signal("got_request_exception", exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        if self.debug:
            from .debug import debug_response

            ctx = _cv_context.get(None)
            request = ctx.request if ctx is not None else None
            return debug_response(e, request)
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, self._request_blueprints())
        if handler is not None:
            server_error = self._synced(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: t.Any) -> None:
        ctx = _cv_context.get(None)
        where = ""
        if ctx is not None and ctx.request is not None:
            where = f" {ctx.request.path} [{ctx.request.method}]"  # as Flask
        self.logger.error(f"Exception on{where or ' request'}", exc_info=exc_info)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        return False

    # -- async ------------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Wrap an ``async def`` function so it can be called synchronously."""
        if _is_async(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _run_coroutine(func(*args, **kwargs))

        return run

    def _synced(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``ensure_sync(func)`` for a registered hook or handler, decided
        once per function.

        PERF: ``inspect.iscoroutinefunction`` costs more than a typical hook
        does, and hooks live as long as the app.  The answer is keyed by the
        function itself, so one registered or swapped in later (the hook
        lists are plain, assignable containers) gets its own.  An overridden
        ``ensure_sync`` (subclass or instance) is asked every time, as in
        Flask.  Views need none of this: ``dispatch_request`` runs what an
        ``async def`` view returns.
        """
        cache = self._synced_funcs
        try:
            synced = cache.get(func)
        except TypeError:  # an unhashable callable object
            return self.ensure_sync(func)
        if synced is None:
            synced = self.ensure_sync(func)
            if getattr(self.ensure_sync, "__func__", None) is _ENSURE_SYNC:
                if len(cache) >= 1024:  # hooks swapped in and out in a loop
                    cache.clear()
                cache[func] = synced
        return synced


# The plain methods, to tell an instance's patched ones apart.
_ENSURE_SYNC = Erlen.ensure_sync
_HANDLE_USER_EXCEPTION = Erlen.handle_user_exception
_HANDLE_HTTP_EXCEPTION = Erlen.handle_http_exception

_PLAIN_HINTS: frozenset[t.Any] = frozenset(
    {
        *(str, int, float, bool, bytes, dict, list, None, t.Any, Response),
        *("str", "int", "float", "bool", "bytes", "dict", "list", "None"),
        *("Any", "t.Any", "Response", "ResponseReturnValue", "rv.ResponseReturnValue"),
    }
)


def _typed(view_func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``view_func``, or its validating wrapper when it has typed parameters.

    The check runs once, at registration; a view without annotations is
    returned as it is and costs nothing per request (erlen.api is loaded
    only when some view has annotations).
    """
    hints = getattr(view_func, "__annotations__", None)
    if not hints:
        return view_func
    try:
        if all(hint in _PLAIN_HINTS for hint in hints.values()):
            return view_func  # `name: str`, `-> Response`: nothing to validate
    except TypeError:  # an unhashable annotation: let erlen.api look at it
        pass
    from .api.signature import typed_view

    return typed_view(view_func) or view_func


def _may_refresh(app: Erlen, request: Request) -> bool:
    """Whether the untouched session must be opened to refresh it (see
    ``SessionInterface._may_refresh``; a duck-typed interface: if the cookie
    is there)."""
    interface = app.session_interface
    may = getattr(interface, "_may_refresh", None)
    if may is not None:
        return bool(may(app, request))
    return interface.get_cookie_name(app) in request.cookies


def _returned_none_error() -> TypeError:
    endpoint = None
    ctx = _cv_context.get(None)
    if ctx is not None and ctx.request is not None:
        endpoint = ctx.request.endpoint
    return TypeError(
        f"The view function for {endpoint!r} did not return a valid"
        " response. The function either returned None or ended"
        " without a return statement."
    )


def _split_response_tuple(rv: tuple[t.Any, ...]) -> tuple[t.Any, t.Any, t.Any]:
    """``(body, status, headers)`` from a view's 2- or 3-tuple."""
    length = len(rv)
    if length == 3:
        return rv  # type: ignore[return-value]
    if length == 2:
        if isinstance(rv[1], (dict, tuple, list)) or hasattr(rv[1], "items"):
            return rv[0], None, rv[1]
        return rv[0], rv[1], None
    raise TypeError(
        "The view function did not return a valid response tuple."
        " The tuple must have the form (body, status, headers),"
        " (body, status), or (body, headers)."
    )


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """``request``, ``session`` and ``g`` in every template."""
    # The proxies, not the objects: a template that never reads the session
    # must not open it (and add ``Vary: Cookie``).
    ctx = _cv_context.get(None)
    if ctx is None:
        return {}
    if ctx.request is None:
        return {"g": g}
    return {"g": g, "request": request, "session": session}
