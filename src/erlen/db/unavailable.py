"""A database that cannot be reached answers 503 with ``Retry-After``, not 500.

During a restart or a network cut every request that touches the database
fails; a 500 with a traceback per request says "bug" and floods the log.
What the client needs is "try again shortly", and what the operator needs is
one line per request saying the database is down.  Only errors that mean
"unreachable" qualify: a failed connect, a connection dropped mid-query, an
exhausted pool.  Anything else (a missing table, a constraint) stays a 500.
"""

from __future__ import annotations

import typing as t

import sqlalchemy.exc as sa_exc

from ..exceptions import ServiceUnavailable
from ..globals import _cv_context

if t.TYPE_CHECKING:
    from ..app import Erlen
    from .extension import SQLAlchemy

#: The exception classes the 503 handler is registered for.
HANDLED: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
MESSAGE = "The database is unavailable. Please try again in a moment."


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now."""
    if isinstance(error, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        # A dropped connection is flagged by the dialect; a failed connect
        # carries no statement.  Other operational errors are the app's.
        return bool(error.connection_invalidated) or error.statement is None
    return False


def summary(error: BaseException) -> str:
    """One log line for ``error``: the driver's exception and its first line."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"[:300]


def register(app: Erlen, db: SQLAlchemy) -> None:
    """Answer unreachable-database errors from views and hooks with a 503."""

    def handle(error: Exception) -> t.Any:
        if not is_unavailable(error) or not app.config.get(
            "SQLALCHEMY_UNAVAILABLE_503", True
        ):
            raise error
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; teardown closes it
            pass
        ctx = _cv_context.get(None)
        where = ""
        if ctx is not None and ctx.request is not None:
            where = f" on {ctx.request.method} {ctx.request.path}"
        app.logger.error("Database unavailable%s: %s", where, summary(error))
        retry_after = app.config.get("SQLALCHEMY_UNAVAILABLE_RETRY_AFTER", 5)
        return app.handle_http_exception(
            ServiceUnavailable(MESSAGE, retry_after=retry_after)
        )

    for exc_class in HANDLED:
        app.register_error_handler(exc_class, handle)
