"""The ``erlen`` command line: app discovery, run, routes, shell, new, plugins.

``erlen --help`` must work without an app, so the app is only imported when a
command that needs it is looked up (:class:`ScriptInfo` loads it once).
Commands come from three places: the built-ins here, entry points in the
``erlen.commands`` group, and the app's own ``app.cli`` (which extensions such
as ``erlen.db`` fill in ``init_app``).
"""

from __future__ import annotations

import ast
import collections.abc as cabc
import functools
import importlib
import importlib.metadata
import inspect
import os
import re
import sys
import traceback
import typing as t

import click

from .helpers import get_load_dotenv

if t.TYPE_CHECKING:
    from .app import Erlen

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

_FACTORY_NAMES = ("create_app", "make_app")


class NoAppException(click.UsageError):
    """The app could not be found or imported; shown as a one-line error."""


# -- app discovery ---------------------------------------------------------------


def _is_app(value: object) -> bool:
    from .app import Erlen

    return isinstance(value, Erlen)


def find_best_app(module: t.Any) -> Erlen:
    """The app in ``module``: ``app``/``application``, the only app, or a factory."""
    for attr in ("app", "application"):
        value = getattr(module, attr, None)
        if _is_app(value):
            return t.cast("Erlen", value)
    matches = [v for v in vars(module).values() if _is_app(v)]
    if len(matches) == 1:
        return t.cast("Erlen", matches[0])
    if len(matches) > 1:
        raise NoAppException(
            f"Detected several apps in module {module.__name__!r}. Use"
            f" '--app {module.__name__}:name' to pick one."
        )
    for attr in _FACTORY_NAMES:
        factory = getattr(module, attr, None)
        if inspect.isfunction(factory):
            try:
                app = factory()
            except TypeError as e:
                if not _called_with_wrong_args(factory):
                    raise
                raise NoAppException(
                    f"Detected factory '{attr}' in module {module.__name__!r},"
                    " but could not call it without arguments. Use"
                    f" '--app {module.__name__}:{attr}(args)' to pass them."
                ) from e
            if _is_app(app):
                return t.cast("Erlen", app)
    raise NoAppException(
        f"Failed to find an Erlen app or factory in module {module.__name__!r}."
        f" Use '--app {module.__name__}:name' to name it."
    )


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """Whether the TypeError being handled came from the call of ``f`` itself."""
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is f.__code__:
                return False  # raised inside the factory: a real error
            tb = tb.tb_next
        return True
    finally:
        del tb


def _literal_call(expr: ast.expr) -> tuple[str, list[t.Any], dict[str, t.Any]] | None:
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        return None
    args = [ast.literal_eval(a) for a in expr.args]
    kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
    return expr.func.id, args, kwargs


def find_app_by_string(module: t.Any, app_name: str) -> Erlen:
    """Resolve ``name`` or ``factory(literal, key=literal)`` inside ``module``."""
    where = f"{module.__name__}:{app_name}"
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(f"Failed to parse {app_name!r} as a name or call.")
    if isinstance(expr, ast.Name):
        name, args, kwargs = expr.id, None, None
    else:
        try:
            call = _literal_call(expr)
        except ValueError:
            raise NoAppException(
                f"Failed to parse arguments as literal values in {app_name!r}."
            )
        if call is None:
            raise NoAppException(f"Failed to parse {app_name!r} as a name or call.")
        name, args, kwargs = call
    try:
        value = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in {module.__name__!r} ('{where}')."
        )
    if inspect.isfunction(value):
        try:
            value = value(*(args or ()), **(kwargs or {}))
        except TypeError as e:
            if not _called_with_wrong_args(value):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could not"
                f" be called with the given arguments: {e}"
            ) from e
    elif args is not None:
        raise NoAppException(f"{name!r} in {module.__name__!r} is not callable.")
    if _is_app(value):
        return t.cast("Erlen", value)
    raise NoAppException(
        f"'{where}' is not an Erlen app (it is {type(value).__name__})."
    )


def prepare_import(path: str) -> str:
    """Turn a file or module path into a module name and put its root on sys.path.

    ``src/pkg/app.py`` becomes ``pkg.app`` with ``src`` first on ``sys.path``,
    walking up through folders that hold an ``__init__.py``.
    """
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Erlen: ...
@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False] = ...
) -> Erlen | None: ...
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Erlen | None:
    """Import ``module_name`` and find the app in it.

    An ImportError raised *inside* the module (a missing dependency) is shown
    as such; only the module itself being absent counts as "not found".
    """
    try:
        __import__(module_name)
    except ImportError as e:
        tb = e.__traceback__
        if tb is not None and tb.tb_next is not None:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised: {e}"
            ) from e
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _split_import_path(import_path: str) -> tuple[str, str | None]:
    # "C:\\x\\app.py:name" keeps its drive letter: split on the last ":" that
    # is not followed by a path separator.
    match = re.match(r"^(?P<path>.+?)(?::(?P<name>[^:/\\]+(?:\(.*\))?))?$", import_path)
    if match is None:  # pragma: no cover - the pattern matches any non-empty text
        return import_path, None
    return match["path"], match["name"]


class ScriptInfo:
    """What the CLI knows about the app to load; loads it once.

    ``create_app`` wins over ``app_import_path``; with neither, ``wsgi.py``
    then ``app.py`` in the current folder are tried.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self.data: dict[t.Any, t.Any] = {}
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        if self._loaded_app is not None:
            return self._loaded_app
        app: Erlen | None = None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            path, name = _split_import_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            for candidate in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(candidate), None, False)
                if app is not None:
                    break
        if app is None:
            raise NoAppException(
                "Could not locate an Erlen app. Use 'erlen --app NAME', set"
                " ERLEN_APP, or put 'wsgi.py' or 'app.py' in the current folder."
            )
        if self.set_debug_flag:
            # Reflect --debug / ERLEN_DEBUG on the app, as `erlen run` expects.
            from .helpers import get_debug_flag

            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the command callback inside the app's context (loading the app)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from .globals import _cv_context

        current = _cv_context.get(None)
        if current is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, functools.update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context by default.

    Pass ``with_appcontext=False`` to ``command()`` to opt out.
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]:
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return t.cast(click.Command, click.Group.command(self, *args, **kwargs)(f))

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group]:
        kwargs.setdefault("cls", AppGroup)
        return t.cast(
            t.Callable[[t.Callable[..., t.Any]], click.Group],
            click.Group.group(self, *args, **kwargs),
        )


# -- environment -----------------------------------------------------------------


def load_dotenv(
    path: str | os.PathLike[str] | None = None,
    load_defaults: bool = True,
    *,
    default_files: tuple[str, ...] = (".erlenenv", ".env"),
) -> bool:
    """Load ``default_files`` (found upward from the cwd), then ``path``.

    Later files win over earlier ones; variables already set in the
    environment win over all of them.  Needs python-dotenv; without it a hint
    is printed when one of the files exists.  Returns whether anything was
    loaded.  Compat mode passes Flask's ``.flaskenv``.
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in default_files):
            click.secho(
                " * Tip: there are .env files present. Install python-dotenv"
                " to use them.",
                fg="yellow",
                err=True,
            )
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in default_files:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data |= dotenv.dotenv_values(found, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")
    for key, value in data.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(data)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    ctx.ensure_object(ScriptInfo).app_import_path = value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    source = ctx.get_parameter_source(param.name or "debug")
    if value is None or source in (
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.DEFAULT_MAP,
    ):
        return
    os.environ["ERLEN_DEBUG"] = "1" if value else "0"


def _load_env_file(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> None:
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)


# Eager, so they take effect before commands (which may need the app) load.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file (needs python-dotenv).",
    is_eager=True,
    expose_value=False,
    callback=_load_env_file,
)
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The app to load: 'module', 'module:name' or 'module:create_app(args)';"
        " default: wsgi.py or app.py in the current folder."
    ),
    envvar="ERLEN_APP",
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)
_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Set debug mode.",
    is_eager=True,
    expose_value=False,
    callback=_set_debug,
)


class ErlenGroup(AppGroup):
    """The ``erlen`` command: built-ins, plugin commands and the app's commands.

    The app is loaded lazily, so ``--help`` and ``erlen new`` work without one.
    """

    #: Set to "true" while the CLI runs, so ``app.run()`` in the app's module
    #: does not start a second server.
    run_from_cli_variable = "ERLEN_RUN_FROM_CLI"

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Erlen] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params += [_env_file_option, _app_option, _debug_option]
        if add_version_option:
            params.append(
                click.Option(
                    ["--version"],
                    is_flag=True,
                    expose_value=False,
                    is_eager=True,
                    callback=_print_version,
                    help="Show the erlen and Python versions.",
                )
            )
        extra.setdefault("no_args_is_help", True)
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            from .api.cli import openapi_command
            from .production import serve_command
            from .scaffolds import new_command

            for command in (
                run_command,
                serve_command,
                routes_command,
                shell_command,
                new_command,
                openapi_command,
            ):
                self.add_command(command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        self._loaded_plugin_commands = True
        for ep in importlib.metadata.entry_points(group="erlen.commands"):
            try:
                self.add_command(ep.load(), ep.name)
            except Exception as e:
                click.secho(
                    f"Error: could not load the command {ep.name!r} ({ep.value}): {e}",
                    err=True,
                    fg="red",
                )

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        from .globals import _cv_context

        current = _cv_context.get(None)
        if current is None or current.app is not app:
            ctx.with_resource(app.app_context())
        return t.cast("click.Command | None", app.cli.get_command(ctx, name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # Help still lists the built-ins; say why the app's are missing.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        os.environ[self.run_from_cli_variable] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help:
            # The help page lists the app's commands, so honour ERLEN_APP and
            # .env before click prints it and exits.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        try:
            return super().parse_args(ctx, args)
        except BaseException:
            # Help output may have pushed the app context (to list the app's
            # commands); click does not close the context when parsing ends
            # early, so pop it here.
            ctx.close()
            raise


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    click.echo(
        f"Python {sys.version.split()[0]}\nerlen {__version__}\n"
        f"click {importlib.metadata.version('click')}"
    )
    ctx.exit()


# -- built-in commands -----------------------------------------------------------


class _SeparatedPathType(click.Path):
    """A list of paths separated by ``os.pathsep``, each checked like click.Path."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        items = self.split_envvar_value(value)
        return [super(_SeparatedPathType, self).convert(i, param, ctx) for i in items]


class _CertParamType(click.ParamType):  # type: ignore[type-arg]
    """``--cert``: a certificate file, or an import path to an SSLContext."""

    name = "path"

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                "'--cert' needs Python built with SSL support.", ctx, param
            ) from None
        if isinstance(value, ssl.SSLContext):
            return value
        path = click.Path(exists=True, dir_okay=False, resolve_path=True)
        try:
            return path.convert(value, param, ctx)
        except click.BadParameter:
            from .utils import import_string

            try:
                obj = import_string(str(value), silent=True)
            except Exception:
                obj = None
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """``--key`` goes with a ``--cert`` file; the pair becomes ``cert``."""
    import ssl

    cert = ctx.params.get("cert")
    is_context = isinstance(cert, ssl.SSLContext)
    if value is not None:
        if is_context:
            raise click.BadParameter(
                "'--key' is not used when '--cert' is an SSLContext.", ctx, param
            )
        if not cert:
            raise click.BadParameter("--cert and --key go together.", ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and not is_context:
        raise click.BadParameter("--cert and --key go together.", ctx, param)
    return value


def _default_port() -> int:
    value = os.environ.get("PORT") or os.environ.get("ERLEN_RUN_PORT")
    try:
        return int(value) if value else 5000
    except ValueError:
        return 5000


@click.command("run", short_help="Run the development server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface.")
@click.option(
    "--port", "-p", type=int, default=_default_port, show_default="5000 or $PORT"
)
@click.option("--debug/--no-debug", "debug", default=None, help="Debug mode.")
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart on code changes (default: on in debug mode).",
)
@click.option(
    "--threads/--no-threads",
    "--with-threads/--without-threads",
    default=True,
    show_default=True,
    help="Handle each request in its own thread.",
)
@click.option(
    "--extra-files",
    type=_SeparatedPathType(),
    default=None,
    help=f"Files that trigger a reload, separated by '{os.pathsep}'.",
)
@click.option(
    "--exclude-patterns",
    type=_SeparatedPathType(),
    default=None,
    help=f"fnmatch patterns of files to not watch, separated by '{os.pathsep}'.",
)
@click.option(
    "--cert",
    type=_CertParamType(),
    is_eager=True,
    help="TLS cert file (with --key), or an import path to an SSLContext.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="TLS key file.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    debug: bool | None,
    reload: bool | None,
    threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
    cert: t.Any,
) -> None:
    """Run the development server: not for production.

    In debug mode the server reloads on code changes and shows the debug
    error page.  Loopback only by default; ``--host 0.0.0.0`` exposes it.
    """
    from .reloader import is_running_from_reloader
    from .serving import run_simple
    from .serving import show_server_banner

    if debug is not None:
        os.environ["ERLEN_DEBUG"] = "1" if debug else "0"
    from .helpers import get_debug_flag

    debug = get_debug_flag()
    if reload is None:
        reload = debug
    ssl_context = cert  # a (cert, key) pair or an SSLContext (see _validate_key)

    app: t.Any
    if reload and not is_running_from_reloader():
        # The watching parent never imports the app; its children do.
        if info.app_import_path:
            prepare_import(_split_import_path(info.app_import_path)[0])
        app = None
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")
    else:
        app = info.load_app()
        show_server_banner(app, debug)
    run_simple(
        host,
        port,
        app,
        use_reloader=reload,
        use_debugger=debug,
        threaded=threads,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
        ssl_context=ssl_context,
    )


_SORT_KEYS = ("endpoint", "methods", "rule", "match")


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(_SORT_KEYS),
    default="endpoint",
    show_default=True,
    help="Sort by this column ('match' is registration order).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show every route: endpoint, methods and rule."""
    from .globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}

    def methods_of(rule: t.Any) -> str:
        return ", ".join(sorted((rule.methods or set()) - hidden))

    if sort == "endpoint":
        rules.sort(key=lambda r: r.endpoint)
    elif sort == "rule":
        rules.sort(key=lambda r: r.rule)
    elif sort == "methods":
        rules.sort(key=lambda r: sorted((r.methods or set()) - hidden))
    host_matching = current_app.url_map.host_matching
    has_domain = any(r.host if host_matching else r.subdomain for r in rules)
    headers = ["Endpoint", "Methods"]
    rows = [[r.endpoint, methods_of(r)] for r in rules]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        for row, r in zip(rows, rules, strict=True):
            row.append((r.host if host_matching else r.subdomain) or "")
    headers.append("Rule")
    for row, r in zip(rows, rules, strict=True):
        row.append(r.rule)
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)
    ]
    line = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    click.echo(line.format(*headers).rstrip())
    click.echo(line.format(*("-" * w for w in widths)))
    for row in rows:
        click.echo(line.format(*row).rstrip())


@click.command("shell", short_help="Open a Python shell in the app context.")
@click.option("--no-ipython", is_flag=True, help="Use the plain Python shell.")
@with_appcontext
def shell_command(no_ipython: bool) -> None:
    """An interactive shell with ``app``, ``g`` and the shell context processors' names.

    Uses IPython when it is installed; runs ``$PYTHONSTARTUP`` first.
    """
    import code

    from .globals import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {app.instance_path}"
    )
    ctx: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), ctx)
    ctx.update(app.make_shell_context())
    if not no_ipython:
        try:
            from IPython import start_ipython
        except ImportError:
            pass
        else:
            start_ipython(argv=[], user_ns=ctx, display_banner=False)
            return
    # Tab completion in the plain shell, as in `python -i`.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            interactive_hook()
            readline.set_completer(Completer(ctx).complete)
    code.interact(banner=banner, local=ctx, exitmsg="")


cli = ErlenGroup(
    name="erlen",
    help=(
        "The erlen command line: run the development server or a production one,"
        " list routes, open a shell, scaffold a project, and run the app's own"
        " commands.\n\n"
        "The app comes from --app, ERLEN_APP, or wsgi.py / app.py in the"
        " current folder."
    ),
)


def main(args: cabc.Sequence[str] | None = None) -> None:
    """Console-script entry point (``erlen`` and ``python -m erlen``)."""
    cli.main(args=list(args) if args is not None else None)
