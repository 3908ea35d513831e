"""Names of ``flask.helpers`` that live elsewhere in erlen."""

from __future__ import annotations

import importlib
import typing as t

from erlen.exceptions import abort as abort
from erlen.files import send_file as send_file
from erlen.files import send_from_directory as send_from_directory
from erlen.globals import current_app as current_app
from erlen.globals import request as request
from erlen.globals import session as session
from erlen.scaffold import get_root_path as get_root_path
from erlen.templating import get_template_attribute as get_template_attribute

from .flask_globals import request_ctx as request_ctx

__all__ = [
    "abort",
    "get_root_path",
    "get_template_attribute",
    "send_file",
    "send_from_directory",
]


def __getattr__(name: str) -> t.Any:
    if name == "message_flashed":
        return importlib.import_module("erlen.signals").message_flashed
    raise AttributeError(name)
