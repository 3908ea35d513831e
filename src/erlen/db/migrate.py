"""Alembic migrations for an app's models: ``Migrate(app, db)``.

Each function here is one ``erlen db`` command, run through Alembic's Python
API (``alembic.command``) with a Config built for the current app.  The
generated ``env.py`` is one call to :func:`run_migrations`, which connects
with the app's engine, compares against ``db.metadata`` (types included) and
uses batch mode on SQLite, where ``ALTER TABLE`` cannot change a column.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing as t
from importlib import resources

from alembic import command as _command
from alembic.config import Config
from alembic.util import CommandError

from ..globals import current_app

if t.TYPE_CHECKING:
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import Script

    from ..app import Erlen
    from .extension import SQLAlchemy

_STATE_KEY = "erlen.migrate"
_SKIP_EMPTY = "erlen.skip_empty"
# Files written by `init`: (template in erlen/db/templates, name in the folder).
_INIT_FILES = (
    ("env.py.tmpl", "env.py"),
    ("script.py.mako.tmpl", "script.py.mako"),
    ("alembic.ini.tmpl", "alembic.ini"),
    ("README.txt", "README"),
)


class MigrationError(Exception):
    """A migration command failed; the message says why (shown by the CLI)."""


class _State:
    """What one app registered: its db, folder and ``context.configure`` options."""

    __slots__ = ("migrate", "db", "directory", "configure_args")

    def __init__(
        self,
        migrate: Migrate,
        db: SQLAlchemy,
        directory: str,
        configure_args: dict[str, t.Any],
    ) -> None:
        self.migrate = migrate
        self.db = db
        self.directory = directory
        self.configure_args = configure_args


class Migrate:
    """Alembic for ``db``'s models, with the ``erlen db`` commands.

    :param directory: the migrations folder, relative to the working folder.
    :param command: the name of the command group (``erlen db ...``).
    :param compare_type: let autogenerate see column type changes.
    :param render_as_batch: batch operations; None means "on for SQLite".
    :param kwargs: more options for Alembic's ``context.configure()``.
    """

    def __init__(
        self,
        app: Erlen | None = None,
        db: SQLAlchemy | None = None,
        directory: str = "migrations",
        command: str = "db",
        compare_type: bool = True,
        render_as_batch: bool | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.db = db
        self.directory = str(directory)
        self.command = command
        self.configure_args: dict[str, t.Any] = {
            "compare_type": compare_type,
            "render_as_batch": render_as_batch,
            **kwargs,
        }
        self._configure_callbacks: list[t.Callable[[Config], Config]] = []
        if app is not None and db is not None:
            self.init_app(app, db)

    def init_app(
        self,
        app: Erlen,
        db: SQLAlchemy | None = None,
        directory: str | None = None,
        command: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        """Register on ``app`` and add the command group to ``app.cli``."""
        db = db if db is not None else self.db
        if db is None:
            raise TypeError("Migrate needs the SQLAlchemy instance: Migrate(app, db).")
        args = {**self.configure_args, **kwargs}
        folder = str(directory) if directory is not None else self.directory
        app.extensions["migrate"] = _State(self, db, folder, args)
        from .cli import db_group

        app.cli.add_command(db_group, name=command or self.command)

    def configure(
        self, f: t.Callable[[Config], Config]
    ) -> t.Callable[[Config], Config]:
        """Decorator: ``f(config)`` adjusts the Alembic Config of every command."""
        self._configure_callbacks.append(f)
        return f


def _state() -> _State:
    try:
        return t.cast(_State, current_app.extensions["migrate"])
    except KeyError:
        raise MigrationError(
            "This app has no Migrate extension: call 'Migrate(app, db)'."
        ) from None


def get_config(directory: str | None = None, x_arg: t.Sequence[str] = ()) -> Config:
    """The Alembic Config for the current app (``alembic.ini`` when present)."""
    state = _state()
    directory = directory or state.directory
    ini = os.path.join(directory, "alembic.ini")
    # Output goes to the sys.stdout of the moment (click's runner swaps it).
    config = Config(ini if os.path.isfile(ini) else None, stdout=sys.stdout)
    config.set_main_option("script_location", directory.replace("%", "%%"))
    if config.get_main_option("path_separator") is None:
        config.set_main_option("path_separator", "os")
    config.cmd_opts = argparse.Namespace(x=list(x_arg))
    config.attributes[_STATE_KEY] = state
    for callback in state.migrate._configure_callbacks:
        config = callback(config)
    return config


def _run(func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    try:
        return func(*args, **kwargs)
    except CommandError as e:
        raise MigrationError(str(e)) from e


def _require_folder(directory: str) -> None:
    if not os.path.isfile(os.path.join(directory, "env.py")):
        raise MigrationError(
            f"No migrations folder at {directory!r}: run 'erlen db init' first."
        )


# -- the commands -------------------------------------------------------------------


def init(directory: str | None = None) -> str:
    """Create the migrations folder; an existing, non-empty one is an error."""
    directory = directory or _state().directory
    if os.path.isdir(directory) and os.listdir(directory):
        raise MigrationError(
            f"The folder {directory!r} already exists and is not empty;"
            " the migrations were set up already."
        )
    os.makedirs(os.path.join(directory, "versions"), exist_ok=True)
    templates = resources.files("erlen.db") / "templates"
    for source, target in _INIT_FILES:
        text = (templates / source).read_text(encoding="utf-8")
        with open(os.path.join(directory, target), "w", encoding="utf-8") as f:
            f.write(text)
    return directory


def revision(
    directory: str | None = None,
    message: str | None = None,
    autogenerate: bool = False,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: str | None = None,
    version_path: str | None = None,
    rev_id: str | None = None,
    depends_on: str | None = None,
) -> Script | list[Script | None] | None:
    """Create a revision file (empty unless ``autogenerate``)."""
    config = get_config(directory)
    _require_folder(config.get_main_option("script_location") or "")
    return t.cast(
        "Script | list[Script | None] | None",
        _run(
            _command.revision,
            config,
            message,
            autogenerate=autogenerate,
            sql=sql,
            head=head,
            splice=splice,
            branch_label=branch_label,
            version_path=version_path,
            rev_id=rev_id,
            depends_on=depends_on,
        ),
    )


def migrate(
    directory: str | None = None,
    message: str | None = None,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: str | None = None,
    version_path: str | None = None,
    rev_id: str | None = None,
    x_arg: t.Sequence[str] = (),
) -> Script | None:
    """Autogenerate a revision from the models; None (no file) when nothing changed."""
    config = get_config(directory, x_arg)
    _require_folder(config.get_main_option("script_location") or "")
    config.attributes[_SKIP_EMPTY] = True
    rv = _run(
        _command.revision,
        config,
        message,
        autogenerate=True,
        sql=sql,
        head=head,
        splice=splice,
        branch_label=branch_label,
        version_path=version_path,
        rev_id=rev_id,
    )
    if not rv:
        return None
    return t.cast("Script", rv[0] if isinstance(rv, list) else rv)


def upgrade(
    directory: str | None = None,
    revision: str = "head",
    sql: bool = False,
    tag: str | None = None,
    x_arg: t.Sequence[str] = (),
) -> None:
    """Apply migrations up to ``revision``."""
    config = get_config(directory, x_arg)
    _run(_command.upgrade, config, revision, sql=sql, tag=tag)


def downgrade(
    directory: str | None = None,
    revision: str = "-1",
    sql: bool = False,
    tag: str | None = None,
    x_arg: t.Sequence[str] = (),
) -> None:
    """Revert migrations down to ``revision`` (default: one step)."""
    config = get_config(directory, x_arg)
    if sql and revision == "-1":
        revision = "head:-1"
    _run(_command.downgrade, config, revision, sql=sql, tag=tag)


def current(directory: str | None = None, verbose: bool = False) -> None:
    """Print the revision the database is at."""
    _run(_command.current, get_config(directory), verbose=verbose)


def history(
    directory: str | None = None,
    rev_range: str | None = None,
    verbose: bool = False,
    indicate_current: bool = False,
) -> None:
    """Print the revisions, newest first."""
    config = get_config(directory)
    _run(
        _command.history,
        config,
        rev_range,
        verbose=verbose,
        indicate_current=indicate_current,
    )


def heads(
    directory: str | None = None,
    verbose: bool = False,
    resolve_dependencies: bool = False,
) -> None:
    """Print the head revisions."""
    config = get_config(directory)
    _run(
        _command.heads,
        config,
        verbose=verbose,
        resolve_dependencies=resolve_dependencies,
    )


def show(directory: str | None = None, revision: str = "head") -> None:
    """Print one revision."""
    _run(_command.show, get_config(directory), revision)


def stamp(
    directory: str | None = None,
    revision: str = "head",
    sql: bool = False,
    tag: str | None = None,
    purge: bool = False,
) -> None:
    """Record ``revision`` as current without running migrations."""
    config = get_config(directory)
    _run(_command.stamp, config, revision, sql=sql, tag=tag, purge=purge)


def merge(
    directory: str | None = None,
    revisions: t.Sequence[str] = ("heads",),
    message: str | None = None,
    branch_label: str | None = None,
    rev_id: str | None = None,
) -> None:
    """Create a revision that merges several heads."""
    config = get_config(directory)
    _run(
        _command.merge,
        config,
        list(revisions),
        message=message,
        branch_label=branch_label,
        rev_id=rev_id,
    )


def check(directory: str | None = None) -> None:
    """Fail when the models have changes no migration covers."""
    _run(_command.check, get_config(directory))


# -- env.py ---------------------------------------------------------------------------


def run_migrations(context: EnvironmentContext) -> None:
    """The body of ``env.py``: run Alembic against the app's default database."""
    config = context.config
    state: _State = config.attributes.get(_STATE_KEY) or _state()
    engine = state.db.engine
    options = dict(state.configure_args)
    if options.get("render_as_batch") is None:
        options["render_as_batch"] = engine.dialect.name == "sqlite"
    options["process_revision_directives"] = _revision_hook(
        config, options.get("process_revision_directives")
    )
    metadata = state.db.metadata
    if context.is_offline_mode():
        context.configure(
            url=engine.url,
            target_metadata=metadata,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies tables; foreign keys would cascade or block
            # the copy.  The pragma works only outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection, target_metadata=metadata, **options
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _revision_hook(
    config: Config, user_hook: t.Callable[..., None] | None
) -> t.Callable[..., None]:
    def process_revision_directives(
        context: t.Any, revision: t.Any, directives: list[t.Any]
    ) -> None:
        if user_hook is not None:
            user_hook(context, revision, directives)
        if config.attributes.get(_SKIP_EMPTY) and directives:
            script = directives[0]
            if all(ops.is_empty() for ops in script.upgrade_ops_list):
                directives[:] = []

    return process_revision_directives
