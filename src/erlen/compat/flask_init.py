"""The ``flask`` package as compat mode shows it: erlen's names, Flask's spelling.

Signals and the template/file helpers resolve on first use, so importing
``flask`` does not switch signals on (they cost a check per request once on).
"""

from __future__ import annotations

import importlib
import typing as t

from erlen import Blueprint as Blueprint
from erlen import Config as Config
from erlen import Erlen as Flask
from erlen import Request as Request
from erlen import Response as Response
from erlen import abort as abort
from erlen import after_this_request as after_this_request
from erlen import copy_current_request_context as copy_current_request_context
from erlen import current_app as current_app
from erlen import flash as flash
from erlen import g as g
from erlen import get_flashed_messages as get_flashed_messages
from erlen import has_app_context as has_app_context
from erlen import has_request_context as has_request_context
from erlen import jsonify as jsonify
from erlen import make_response as make_response
from erlen import redirect as redirect
from erlen import request as request
from erlen import session as session
from erlen import stream_with_context as stream_with_context
from erlen import url_for as url_for

from ._metadata import FLASK_VERSION

__all__ = ["Flask"]  # keeps ``from flask import *`` from pulling in signals

_LAZY = {
    "render_template": "erlen.templating",
    "render_template_string": "erlen.templating",
    "stream_template": "erlen.templating",
    "stream_template_string": "erlen.templating",
    "get_template_attribute": "erlen.templating",
    "send_file": "erlen.files",
    "send_from_directory": "erlen.files",
    "appcontext_popped": "erlen.signals",
    "appcontext_pushed": "erlen.signals",
    "appcontext_tearing_down": "erlen.signals",
    "before_render_template": "erlen.signals",
    "got_request_exception": "erlen.signals",
    "message_flashed": "erlen.signals",
    "request_finished": "erlen.signals",
    "request_started": "erlen.signals",
    "request_tearing_down": "erlen.signals",
    "template_rendered": "erlen.signals",
}


_SUBMODULES = frozenset(
    {
        "app",
        "blueprints",
        "cli",
        "config",
        "ctx",
        "debughelpers",
        "globals",
        "helpers",
        "json",
        "logging",
        "sansio",
        "sessions",
        "signals",
        "templating",
        "typing",
        "views",
        "wrappers",
    }
)


def __getattr__(name: str) -> t.Any:
    if name == "__version__":
        return FLASK_VERSION
    module = _LAZY.get(name)
    if module is None:
        if name in _SUBMODULES:
            # Flask imports these on ``import flask``: ``flask.templating.X``.
            return importlib.import_module(f"flask.{name}")
        raise AttributeError(name)
    return getattr(importlib.import_module(module), name)
