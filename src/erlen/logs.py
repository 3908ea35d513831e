"""The app logger's default handler: it writes to the server's error log.

Inside a request the handler writes to ``environ["wsgi.errors"]`` (where the
WSGI server wants errors to go), elsewhere to ``sys.stderr``.  It is added to
the app's logger only when nothing would otherwise handle its records, so an
app that configures logging keeps full control.
"""

from __future__ import annotations

import logging
import sys
import typing as t

from .globals import _cv_context

__all__ = [
    "create_logger",
    "default_handler",
    "has_level_handler",
    "wsgi_errors_stream",
]


class _WSGIErrorsStream:
    """A stream that is the current request's ``wsgi.errors``, else stderr."""

    def _get_current_object(self) -> t.TextIO:
        ctx = _cv_context.get(None)
        request = getattr(ctx, "request", None)
        if request is not None:
            stream = request.environ.get("wsgi.errors")
            if stream is not None:
                return t.cast(t.TextIO, stream)
        return sys.stderr

    def write(self, text: str) -> int:
        return self._get_current_object().write(text)

    def flush(self) -> None:
        stream = self._get_current_object()
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._get_current_object(), name)

    def __repr__(self) -> str:
        return "<wsgi.errors stream>"


#: The current request's ``wsgi.errors``, else ``sys.stderr``.
wsgi_errors_stream: t.TextIO = t.cast(t.TextIO, _WSGIErrorsStream())

default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


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


def create_logger(app: t.Any) -> logging.Logger:
    """The app's logger (``logging.getLogger(app.name)``): debug level in
    debug mode, and :data:`default_handler` when nothing handles its level."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
