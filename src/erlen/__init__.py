"""erlen: the Flask API on a lean, fast WSGI core."""

from markupsafe import Markup as Markup
from markupsafe import escape as escape

from .app import Erlen as Erlen
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .exceptions import abort as abort
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .request import Request as Request
from .response import Response as Response

__version__ = "0.1.0.dev0"

if __import__("typing").TYPE_CHECKING:  # what __getattr__ loads, for type checkers
    from .files import send_file as send_file
    from .files import send_from_directory as send_from_directory
    from .templating import get_template_attribute as get_template_attribute
    from .templating import render_template as render_template
    from .templating import render_template_string as render_template_string
    from .templating import stream_template as stream_template
    from .templating import stream_template_string as stream_template_string


def __getattr__(name: str) -> object:
    # Web-layer helpers load on first use, so `import erlen` stays cheap.
    lazy = {
        "render_template": "templating",
        "render_template_string": "templating",
        "stream_template": "templating",
        "stream_template_string": "templating",
        "get_template_attribute": "templating",
        "send_file": "files",
        "send_from_directory": "files",
    }
    module = lazy.get(name)
    if module is None:
        raise AttributeError(f"module 'erlen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"erlen.{module}"), name)
