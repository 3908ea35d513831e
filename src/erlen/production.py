"""``erlen serve``: the app on a production WSGI server, granian or gunicorn.

erlen writes no server of its own here.  This module turns one set of options
into each server's documented configuration and starts it through its Python
API: ``granian.Granian(..., interface="wsgi").serve()`` and gunicorn's
``BaseApplication``.  granian (HTTP in Rust) is preferred because it leaves
the framework's speed visible; gunicorn parses HTTP in Python and caps it.

The app is imported once in the main process before any worker starts, so a
missing app or an import error is one clear line instead of a crash loop of
workers; forked workers inherit it (like ``gunicorn --preload``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import ipaddress
import os
import typing as t

import click

if t.TYPE_CHECKING:
    from .app import Erlen

SERVERS = ("granian", "gunicorn")
#: Pending connections the kernel queues per listening socket.
DEFAULT_BACKLOG = 2048
#: Seconds an idle keep-alive connection stays open (gunicorn's gthread
#: worker; granian keeps HTTP/1.1 connections alive with its own defaults).
DEFAULT_KEEP_ALIVE = 5
#: Seconds a stopping worker gets to finish its in-flight requests.
GRACEFUL_TIMEOUT = 30
#: The environment variable the app's ``TRUSTED_PROXIES`` setting reads.
TRUSTED_PROXIES_ENV = "ERLEN_TRUSTED_PROXIES"
#: gunicorn's longest allowed request line (its own default is 4094).  nginx
#: passes request lines up to 8 KiB and granian takes longer ones, so a URL
#: that works behind nginx on granian must not be a 400 on gunicorn.
GUNICORN_REQUEST_LINE = 8190


class ServeError(Exception):
    """A configuration that cannot be served; shown as a one-line error."""


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """What ``erlen serve`` was asked for, independent of the server."""

    server: str
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 1
    max_requests: int | None = None
    access_log: bool = False
    forwarded_allow_ips: tuple[str, ...] = ()
    backlog: int = DEFAULT_BACKLOG
    keep_alive: int = DEFAULT_KEEP_ALIVE
    graceful_timeout: int = GRACEFUL_TIMEOUT

    @property
    def address(self) -> str:
        """``host:port``, with an IPv6 host in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    @property
    def worker_kind(self) -> str:
        if self.server == "gunicorn":
            return "gthread" if self.threads > 1 else "sync"
        return "wsgi"


def installed_servers() -> list[str]:
    """The supported servers that can be imported, in order of preference."""
    return [name for name in SERVERS if importlib.util.find_spec(name) is not None]


def pick_server(requested: str | None) -> str:
    """``requested`` if installed, else the first installed server."""
    installed = installed_servers()
    if requested is not None:
        if requested not in SERVERS:
            raise ServeError(f"Unknown server {requested!r}; use one of {SERVERS}.")
        if requested not in installed:
            raise ServeError(
                f"{requested} is not installed: pip install {requested}"
                " (or 'erlen[serve]')."
            )
        return requested
    if not installed:
        raise ServeError(
            "No production server is installed: pip install 'erlen[serve]'"
            " (granian, or gunicorn)."
        )
    return installed[0]


def parse_allow_ips(value: str | None) -> tuple[str, ...]:
    """Comma-separated addresses or networks (or ``*``), checked up front."""
    if not value:
        return ()
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise ServeError(
                f"--forwarded-allow-ips: {item!r} is not an IP address or network."
            ) from None
    return items


def export_trusted_proxies(ips: tuple[str, ...]) -> None:
    """Tell the app which peers may set X-Forwarded-*, before it is imported.

    The servers apply ``--forwarded-allow-ips`` to what they derive themselves
    (gunicorn: the URL scheme); the app's ``TRUSTED_PROXIES`` setting reads
    the same list from the environment so both sides trust the same peers.
    """
    if ips:
        os.environ[TRUSTED_PROXIES_ENV] = ",".join(ips)


# -- the app in the workers ------------------------------------------------------

_loaded: Erlen | None = None


def _worker_app(import_path: str | None) -> Erlen:
    """The app inside a worker: inherited when forked, imported when spawned."""
    global _loaded
    if _loaded is None:
        from .cli import ScriptInfo  # not at the top: cli imports this module

        _loaded = ScriptInfo(
            app_import_path=import_path, set_debug_flag=False
        ).load_app()
    return _loaded


def serve(app: Erlen, options: ServeOptions, import_path: str | None) -> None:
    """Run ``app`` on the chosen server until it is stopped (SIGTERM/SIGINT)."""
    global _loaded
    _loaded = app
    if options.server == "granian":
        _serve_granian(options, import_path)
    else:
        _serve_gunicorn(app, options)


def _serve_granian(options: ServeOptions, import_path: str | None) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    server = Granian(
        target=import_path or "erlen",
        address=options.host,
        port=options.port,
        interface=Interfaces.WSGI,
        workers=options.workers,
        blocking_threads=options.threads,
        backlog=options.backlog,
        websockets=False,
        http1_settings=HTTP1Settings(keep_alive=True),
        log_access=options.access_log,
        workers_kill_timeout=options.graceful_timeout,
    )
    # A picklable loader, so workers also start under the "spawn" method.
    server.serve(
        target_loader=functools.partial(_worker_app, import_path), wrap_loader=False
    )


def _worker_tmp_dir() -> str | None:
    """Where gunicorn keeps its worker heartbeat files: memory when possible.

    The arbiter judges a worker alive by a file's mtime; on a slow disk or a
    container's overlay filesystem the update can stall and a healthy worker
    gets killed.  ``None`` is gunicorn's default (the system temp folder).
    """
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _gunicorn_settings(options: ServeOptions) -> dict[str, t.Any]:
    settings: dict[str, t.Any] = {
        "bind": [options.address],
        "workers": options.workers,
        "worker_class": options.worker_kind,
        "threads": options.threads,
        "backlog": options.backlog,
        "keepalive": options.keep_alive,
        "graceful_timeout": options.graceful_timeout,
        "forwarded_allow_ips": ",".join(options.forwarded_allow_ips),
        "accesslog": "-" if options.access_log else None,
        "errorlog": "-",
        "limit_request_line": GUNICORN_REQUEST_LINE,
        "worker_tmp_dir": _worker_tmp_dir(),
    }
    if options.max_requests:
        settings["max_requests"] = options.max_requests
        # Spread the restarts so the workers do not all recycle at once.
        settings["max_requests_jitter"] = max(1, options.max_requests // 10)
    return settings


def _serve_gunicorn(app: Erlen, options: ServeOptions) -> None:
    from gunicorn.app.base import BaseApplication
    from gunicorn.config import KNOWN_SETTINGS

    settings = _gunicorn_settings(options)
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        # gunicorn 25+ opens ~/.gunicorn/gunicorn.ctl by default, shared by
        # every instance of the user; erlen serve does not use it.
        settings["control_socket_disable"] = True

    class ErlenApplication(BaseApplication):  # type: ignore[misc]
        """gunicorn's documented embedding: settings in, the app object out."""

        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Erlen:
            return app

    ErlenApplication().run()  # the arbiter exits the process when it stops


# -- the command -----------------------------------------------------------------


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _default_port() -> int:
    value = os.environ.get("PORT", "")
    return int(value) if value.isdigit() else 8000


@click.command("serve", short_help="Run the app on a production server.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface.")
@click.option(
    "--port", "-p", type=click.IntRange(1, 65535), default=_default_port,
    show_default="8000 or $PORT",
)  # fmt: skip
@click.option(
    "--workers", "-w", type=click.IntRange(1), default=_default_workers,
    show_default="CPU count", help="Worker processes.",
)  # fmt: skip
@click.option(
    "--threads", type=click.IntRange(1), default=1, show_default=True,
    help="Threads per worker (gunicorn: more than 1 means the gthread worker).",
)  # fmt: skip
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default=None,
    help="Default: granian when installed, else gunicorn.",
)
@click.option(
    "--max-requests", type=click.IntRange(0), default=0,
    help="Restart a worker after this many requests (gunicorn; 0: never).",
)  # fmt: skip
@click.option(
    "--access-log/--no-access-log", default=False, show_default=True,
    help="Log every request (the proxy in front usually does).",
)  # fmt: skip
@click.option(
    "--forwarded-allow-ips",
    metavar="IPS",
    default=None,
    help=(
        "Comma-separated proxy addresses or networks trusted to set"
        f" X-Forwarded-*; given to the server and exported as ${TRUSTED_PROXIES_ENV}"
        " for the app (default: that variable, else none)."
    ),
)
@click.option(
    "--backlog", type=click.IntRange(128), default=DEFAULT_BACKLOG,
    show_default=True, help="Pending connections queued by the kernel.",
)  # fmt: skip
@click.option(
    "--keep-alive", type=click.IntRange(0), default=DEFAULT_KEEP_ALIVE,
    show_default=True, help="Seconds an idle connection is kept (gunicorn gthread).",
)  # fmt: skip
@click.option(
    "--graceful-timeout", type=click.IntRange(1, 1800), default=GRACEFUL_TIMEOUT,
    show_default=True, help="Seconds in-flight requests get on SIGTERM.",
)  # fmt: skip
@click.pass_context
def serve_command(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    threads: int,
    server: str | None,
    max_requests: int,
    access_log: bool,
    forwarded_allow_ips: str | None,
    backlog: int,
    keep_alive: int,
    graceful_timeout: int,
) -> None:
    """Serve the app with granian or gunicorn (``pip install 'erlen[serve]'``).

    SIGTERM stops gracefully: new connections are refused and in-flight
    requests finish (up to --graceful-timeout).  Loopback only by default;
    put nginx in front and pass its address to --forwarded-allow-ips.
    """
    try:
        options = ServeOptions(
            server=pick_server(server),
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            max_requests=max_requests or None,
            access_log=access_log,
            forwarded_allow_ips=parse_allow_ips(
                forwarded_allow_ips
                if forwarded_allow_ips is not None
                else os.environ.get(TRUSTED_PROXIES_ENV)
            ),
            backlog=backlog,
            keep_alive=keep_alive,
            graceful_timeout=graceful_timeout,
        )
        if options.server == "granian" and options.max_requests:
            raise ServeError(
                "granian restarts workers by age, not by request count: use"
                " --server gunicorn with --max-requests."
            )
    except ServeError as e:
        raise click.UsageError(str(e)) from None
    from .cli import ScriptInfo

    info = ctx.ensure_object(ScriptInfo)
    export_trusted_proxies(options.forwarded_allow_ips)
    app = info.load_app()
    if app.debug:
        click.secho(
            " * Debug mode is on: never use it in production.", fg="red", err=True
        )
    threads_note = f" × {threads} threads" if threads > 1 else ""
    click.echo(
        f" * Serving {app.name!r} with {options.server} ({options.worker_kind},"
        f" {workers} workers{threads_note}) on {options.url}"
    )
    serve(app, options, info.app_import_path)
