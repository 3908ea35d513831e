"""``werkzeug.test``: Werkzeug's environ builder is erlen's base builder."""

from __future__ import annotations

from erlen.testing import BaseEnvironBuilder as EnvironBuilder
from erlen.testing import Client as Client
from erlen.testing import TestResponse as TestResponse
from erlen.testing import create_environ as create_environ
from erlen.testing import run_wsgi_app as run_wsgi_app

__all__ = [
    "Client",
    "EnvironBuilder",
    "TestResponse",
    "create_environ",
    "run_wsgi_app",
]
