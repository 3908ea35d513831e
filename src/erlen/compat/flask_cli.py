"""``flask.cli`` names and the ``erlen-flask`` command.

``erlen-flask`` is erlen's CLI spoken with Flask's spellings: ``FLASK_APP``,
``FLASK_DEBUG``, ``FLASK_RUN_*``, ``.flaskenv``, and the ``flask.commands``
entry points extensions register (``db`` for Flask-Migrate, ...).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import typing as t

import click

from erlen.cli import ErlenGroup
from erlen.cli import NoAppException
from erlen.cli import ScriptInfo
from erlen.cli import _SeparatedPathType as SeparatedPathType
from erlen.cli import cli as _erlen_cli
from erlen.cli import load_dotenv as _erlen_load_dotenv
from erlen.reloader import is_running_from_reloader as is_running_from_reloader
from erlen.serving import run_simple as run_simple
from erlen.serving import show_server_banner as show_server_banner
from erlen.utils import import_string as import_string

from ._metadata import FLASK_VERSION
from ._metadata import WERKZEUG_VERSION

__all__ = [
    "FlaskGroup",
    "SeparatedPathType",
    "get_version",
    "import_string",
    "is_running_from_reloader",
    "load_dotenv",
    "main",
    "run_simple",
    "show_server_banner",
]

#: Flask's variables and the erlen ones they stand for.
ENV_MAP = {
    "FLASK_APP": "ERLEN_APP",
    "FLASK_DEBUG": "ERLEN_DEBUG",
    "FLASK_ENV_FILE": "ERLEN_ENV_FILE",
    "FLASK_SKIP_DOTENV": "ERLEN_SKIP_DOTENV",
    "FLASK_RUN_FROM_CLI": "ERLEN_RUN_FROM_CLI",
    "FLASK_RUN_PORT": "ERLEN_RUN_PORT",
}


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: Python, Flask (compat) and erlen versions."""
    if not value or ctx.resilient_parsing:
        return
    from erlen import __version__

    click.echo(
        f"Python {sys.version.split()[0]}\nFlask {FLASK_VERSION}\n"
        f"Werkzeug {WERKZEUG_VERSION}\nerlen {__version__}",
        color=ctx.color,
    )
    ctx.exit()


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Flask's ``load_dotenv``: ``.flaskenv`` then ``.env``, then ``path``."""
    return _erlen_load_dotenv(path, load_defaults, default_files=(".flaskenv", ".env"))


def _skip_dotenv() -> bool:
    value = os.environ.get("FLASK_SKIP_DOTENV") or os.environ.get("ERLEN_SKIP_DOTENV")
    return value is not None and value.lower() not in ("", "0", "false", "no")


class _FlaskScriptInfo(ScriptInfo):
    """Says ``flask --app`` and ``FLASK_APP`` when no app is found."""

    def load_app(self) -> t.Any:
        try:
            return super().load_app()
        except NoAppException:
            if self.create_app is not None or self.app_import_path:
                raise
            raise NoAppException(
                "Could not locate a Flask application. Use 'flask --app NAME',"
                " set FLASK_APP, or put 'wsgi.py' or 'app.py' in the current"
                " folder."
            ) from None


class FlaskGroup(ErlenGroup):
    """Flask's FlaskGroup: erlen's group plus ``flask.commands`` entry points.

    It loads ``.flaskenv`` and ``.env`` unless ``FLASK_SKIP_DOTENV`` is set.
    """

    run_from_cli_variable = "FLASK_RUN_FROM_CLI"

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            skip = _skip_dotenv() or not self.load_dotenv
            if not skip:
                load_dotenv()
            extra["obj"] = _FlaskScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=not skip,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        super()._load_plugin_commands()
        for ep in importlib.metadata.entry_points(group="flask.commands"):
            if ep.name in self.commands:
                continue
            try:
                self.add_command(ep.load(), ep.name)
            except Exception as e:
                click.secho(
                    f"Error: could not load the command {ep.name!r}: {e}",
                    err=True,
                    fg="red",
                )


def map_environ(environ: t.MutableMapping[str, str] | None = None) -> None:
    """Copy ``FLASK_*`` variables to their ``ERLEN_*`` names (erlen's win)."""
    env = os.environ if environ is None else environ
    for flask_name, erlen_name in ENV_MAP.items():
        value = env.get(flask_name)
        if value is not None and erlen_name not in env:
            env[erlen_name] = value


def main(args: t.Sequence[str] | None = None) -> None:
    """The ``erlen-flask`` console script: ``flask`` on erlen."""
    from . import install

    install()
    if not _skip_dotenv():
        load_dotenv()
    map_environ()
    group = FlaskGroup(name="flask", help=_erlen_cli.help)
    group.main(args=list(args) if args is not None else None, prog_name="flask")


#: ``flask.cli.cli``: Flask's command group (Flask's help text is erlen's).
cli = FlaskGroup(name="flask", help=_erlen_cli.help)
