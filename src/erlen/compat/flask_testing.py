"""Flask's names in ``flask.testing``."""

from __future__ import annotations

from click.testing import CliRunner as CliRunner
from click.testing import Result as Result

from erlen.cli import ScriptInfo as ScriptInfo
from erlen.request import Request as BaseRequest
from erlen.sessions import SessionMixin as SessionMixin
from erlen.testing import ErlenClient as FlaskClient
from erlen.testing import ErlenCliRunner as FlaskCliRunner

__all__ = [
    "BaseRequest",
    "CliRunner",
    "FlaskCliRunner",
    "FlaskClient",
    "Result",
    "ScriptInfo",
    "SessionMixin",
]
