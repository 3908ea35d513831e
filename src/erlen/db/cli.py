"""The ``erlen db`` command group: thin click wrappers over :mod:`.migrate`.

Alembic's errors become one-line click errors (exit code 1), and its progress
log ("Running upgrade a -> b") is shown on stderr while a command runs.
"""

from __future__ import annotations

import functools
import logging
import sys
import typing as t

import click

from ..cli import AppGroup
from . import migrate as _m

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _wrap(f: F) -> F:
    """Turn MigrationError into a click error; show Alembic's INFO log."""

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        logger = logging.getLogger("alembic")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        old_level = logger.level
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        try:
            return f(*args, **kwargs)
        except _m.MigrationError as e:
            raise click.ClickException(str(e)) from e
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)

    return t.cast(F, wrapper)


_directory = click.option(
    "-d",
    "--directory",
    default=None,
    help='The migrations folder (default: "migrations").',
)
_sql = click.option(
    "--sql", is_flag=True, help="Print the SQL instead of running it (offline)."
)
_tag = click.option("--tag", default=None, help="A tag for custom env.py scripts.")
_x_arg = click.option(
    "-x",
    "--x-arg",
    multiple=True,
    help="Extra argument for custom env.py scripts.",
)


@click.group(cls=AppGroup)
def db_group() -> None:
    """Database migrations with Alembic."""


@db_group.command()
@_directory
@_wrap
def init(directory: str | None) -> None:
    """Create the migrations folder."""
    path = _m.init(directory)
    click.echo(f"Created the migrations folder {path!r}.")
    click.echo("Review the settings in its alembic.ini, then run 'erlen db migrate'.")


@db_group.command()
@_directory
@click.option("-m", "--message", default=None, help="The revision message.")
@click.option(
    "--autogenerate", is_flag=True, help="Fill the revision from the model changes."
)
@_sql
@click.option("--head", default="head", help="The head to base the revision on.")
@click.option("--splice", is_flag=True, help="Allow a non-head base revision.")
@click.option("--branch-label", default=None, help="A branch label to apply.")
@click.option("--version-path", default=None, help="Where to write the revision.")
@click.option("--rev-id", default=None, help="Use this revision id.")
@click.option("--depends-on", default=None, help="Revisions this one depends on.")
@_wrap
def revision(
    directory: str | None,
    message: str | None,
    autogenerate: bool,
    sql: bool,
    head: str,
    splice: bool,
    branch_label: str | None,
    version_path: str | None,
    rev_id: str | None,
    depends_on: str | None,
) -> None:
    """Create a new revision file."""
    _m.revision(
        directory,
        message,
        autogenerate,
        sql,
        head,
        splice,
        branch_label,
        version_path,
        rev_id,
        depends_on,
    )


@db_group.command()
@_directory
@click.option("-m", "--message", default=None, help="The revision message.")
@_sql
@click.option("--head", default="head", help="The head to base the revision on.")
@click.option("--splice", is_flag=True, help="Allow a non-head base revision.")
@click.option("--branch-label", default=None, help="A branch label to apply.")
@click.option("--version-path", default=None, help="Where to write the revision.")
@click.option("--rev-id", default=None, help="Use this revision id.")
@_x_arg
@_wrap
def migrate(
    directory: str | None,
    message: str | None,
    sql: bool,
    head: str,
    splice: bool,
    branch_label: str | None,
    version_path: str | None,
    rev_id: str | None,
    x_arg: tuple[str, ...],
) -> None:
    """Autogenerate a revision from the model changes."""
    script = _m.migrate(
        directory, message, sql, head, splice, branch_label, version_path, rev_id, x_arg
    )
    if script is None:
        click.echo("No changes in schema detected; no revision written.")


@db_group.command()
@_directory
@_sql
@_tag
@_x_arg
@click.argument("revision", default="head")
@_wrap
def upgrade(
    directory: str | None,
    sql: bool,
    tag: str | None,
    x_arg: tuple[str, ...],
    revision: str,
) -> None:
    """Upgrade the database to REVISION (default: head)."""
    _m.upgrade(directory, revision, sql, tag, x_arg)


@db_group.command()
@_directory
@_sql
@_tag
@_x_arg
@click.argument("revision", default="-1")
@_wrap
def downgrade(
    directory: str | None,
    sql: bool,
    tag: str | None,
    x_arg: tuple[str, ...],
    revision: str,
) -> None:
    """Downgrade the database to REVISION (default: one step back)."""
    _m.downgrade(directory, revision, sql, tag, x_arg)


@db_group.command()
@_directory
@click.option("-v", "--verbose", is_flag=True, help="Show more detail.")
@_wrap
def current(directory: str | None, verbose: bool) -> None:
    """Show the revision the database is at."""
    _m.current(directory, verbose)


@db_group.command()
@_directory
@click.option("-r", "--rev-range", default=None, help="A range, like 'base:head'.")
@click.option("-v", "--verbose", is_flag=True, help="Show more detail.")
@click.option(
    "-i", "--indicate-current", is_flag=True, help="Mark the current revision."
)
@_wrap
def history(
    directory: str | None, rev_range: str | None, verbose: bool, indicate_current: bool
) -> None:
    """List the revisions, newest first."""
    _m.history(directory, rev_range, verbose, indicate_current)


@db_group.command()
@_directory
@click.option("-v", "--verbose", is_flag=True, help="Show more detail.")
@click.option(
    "--resolve-dependencies", is_flag=True, help="Treat dependencies as down revisions."
)
@_wrap
def heads(directory: str | None, verbose: bool, resolve_dependencies: bool) -> None:
    """Show the head revisions."""
    _m.heads(directory, verbose, resolve_dependencies)


@db_group.command()
@_directory
@click.argument("revision", default="head")
@_wrap
def show(directory: str | None, revision: str) -> None:
    """Show one revision (default: head)."""
    _m.show(directory, revision)


@db_group.command()
@_directory
@_sql
@_tag
@click.option("--purge", is_flag=True, help="Empty the version table first.")
@click.argument("revision", default="head")
@_wrap
def stamp(
    directory: str | None, sql: bool, tag: str | None, purge: bool, revision: str
) -> None:
    """Mark the database as at REVISION without running migrations."""
    _m.stamp(directory, revision, sql, tag, purge)


@db_group.command()
@_directory
@click.option("-m", "--message", default=None, help="The revision message.")
@click.option("--branch-label", default=None, help="A branch label to apply.")
@click.option("--rev-id", default=None, help="Use this revision id.")
@click.argument("revisions", nargs=-1)
@_wrap
def merge(
    directory: str | None,
    message: str | None,
    branch_label: str | None,
    rev_id: str | None,
    revisions: tuple[str, ...],
) -> None:
    """Merge several heads into one revision."""
    _m.merge(directory, revisions or ("heads",), message, branch_label, rev_id)


@db_group.command()
@_directory
@_wrap
def check(directory: str | None) -> None:
    """Fail if the models have changes that no revision covers."""
    _m.check(directory)
