"""``flask.logging``: the app logger's handler and helpers, as Flask names them."""

from __future__ import annotations

import logging
import sys
import typing as t

from erlen.globals import request

from .werkzeug_local import LocalProxy

__all__ = [
    "create_logger",
    "default_handler",
    "has_level_handler",
    "wsgi_errors_stream",
]


def _errors_stream() -> t.TextIO:
    if request:
        return t.cast(t.TextIO, request.environ["wsgi.errors"])
    return sys.stderr


#: The request's ``wsgi.errors`` inside a request, else stderr.
wsgi_errors_stream: t.TextIO = LocalProxy(_errors_stream)  # type: ignore[assignment]


def has_level_handler(logger: logging.Logger) -> bool:
    """True when a handler on ``logger`` or a parent handles its level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: t.Any) -> logging.Logger:
    """The app's logger (``logging.getLogger(app.name)``), Flask style."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
