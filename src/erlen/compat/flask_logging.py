"""``flask.logging``: the app logger's handler and helpers (erlen.logs)."""

from __future__ import annotations

from erlen.logs import create_logger as create_logger
from erlen.logs import default_handler as default_handler
from erlen.logs import has_level_handler as has_level_handler
from erlen.logs import wsgi_errors_stream as wsgi_errors_stream

__all__ = [
    "create_logger",
    "default_handler",
    "has_level_handler",
    "wsgi_errors_stream",
]
