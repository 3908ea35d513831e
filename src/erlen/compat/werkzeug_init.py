"""The ``werkzeug`` package as compat mode shows it: erlen's classes."""

from __future__ import annotations

import typing as t

from erlen.request import Request as Request
from erlen.response import Response as Response
from erlen.serving import run_simple as run_simple
from erlen.testing import Client as Client

from ._metadata import WERKZEUG_VERSION

__all__ = ["Client", "Request", "Response", "run_simple"]


def __getattr__(name: str) -> t.Any:
    if name == "__version__":
        return WERKZEUG_VERSION
    raise AttributeError(name)
