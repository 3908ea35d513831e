"""Extra names of ``flask.app`` (and ``flask.sansio.app``) that extensions import."""

from __future__ import annotations

from erlen.app import Erlen as App
from erlen.app import Erlen as Flask
from erlen.datastructures import Headers as Headers
from erlen.datastructures import ImmutableDict as ImmutableDict
from erlen.exceptions import Aborter as Aborter
from erlen.exceptions import BadRequest as BadRequest
from erlen.globals import current_app as current_app
from erlen.globals import g as g
from erlen.globals import request as request
from erlen.globals import session as session
from erlen.helpers import get_debug_flag as get_debug_flag
from erlen.helpers import get_flashed_messages as get_flashed_messages
from erlen.helpers import get_load_dotenv as get_load_dotenv
from erlen.reloader import is_running_from_reloader as is_running_from_reloader
from erlen.routing import Map as Map
from erlen.routing import Rule as Rule
from erlen.sessions import SecureCookieSessionInterface as SecureCookieSessionInterface
from erlen.sessions import SessionInterface as SessionInterface
from erlen.templating import DispatchingJinjaLoader as DispatchingJinjaLoader
from erlen.templating import Environment as Environment

from .flask_globals import app_ctx as app_ctx
from .flask_globals import request_ctx as request_ctx

__all__ = ["App", "Flask"]
