"""peoplebook: the erlen example application, end to end.

Accounts (register with a welcome email, log in with remember-me, log out),
a book of people with pagination and forms, a theme preference in a plain
cookie, a typed JSON API under ``/api`` (CRUD, CSV export, avatar upload,
stats) that a front end on another origin may call, documented at
``/docs``; ``/healthz`` and ``/readyz`` for load balancers, and Flask-Admin
at ``/admin`` when it is installed.  Settings come from the environment
(``config.py``).

Start it from ``examples/``::

    erlen --app peoplebook db upgrade    # create or update the schema
    python -m peoplebook                 # http://127.0.0.1:5000/

or from the repository root: ``scripts/example``.
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

from erlen import Erlen
from erlen import request
from erlen.api import enable_docs
from erlen.cors import CORS
from erlen.forms import init_app as init_forms
from erlen.health import register_health

from . import config as _config
from .extensions import csrf
from .extensions import db
from .extensions import login_manager
from .extensions import mail
from .extensions import migrate


def create_app(config: t.Mapping[str, t.Any] | None = None) -> Erlen:
    """Build the app: settings, batteries, sessions, then the controllers.

    ``config`` overrides everything else (tests pass a database URL here).
    """
    # The SQLite file and the development key live next to the code.
    app = Erlen(__name__, instance_path=str(Path(__file__).parent / "instance"))
    app.config.update(_config.DEFAULTS)
    app.config.from_prefixed_env("PEOPLEBOOK")
    app.config.update(_config.from_environ(os.environ))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _config.development_secret_key(app.instance_path)

    _init_sessions(app)
    db.init_app(app)
    migrate.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    init_forms(app)  # render_field / render_errors in the templates
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "warning"
    # The API answers 401 JSON instead of sending clients to a login page.
    login_manager.blueprint_login_views["api"] = None  # type: ignore[assignment]
    # One CORS object per app: its policies are built from this app's config.
    CORS(
        app,
        resources={"/api/*": {}},
        origins=app.config["API_ORIGINS"],
        supports_credentials=True,
        allow_headers=["Content-Type", "X-CSRFToken", "Idempotency-Key"],
        expose_headers=[
            "Link",
            "Location",
            "X-Total-Count",
            "Content-Disposition",
            "Idempotent-Replayed",
        ],
        max_age=600,
    )

    from . import models  # noqa: F401 - the tables, for migrations
    from .theme import current_theme

    @app.context_processor
    def theme() -> dict[str, t.Any]:
        return {"theme": current_theme(request)}

    app.autodiscover(f"{__name__}.controllers")
    enable_docs(app)  # /docs and /openapi.json; OPENAPI_DOCS=False hides them
    register_health(app)  # /healthz; /readyz checks the database (and Redis)
    from .admin import init_admin
    from .commands import init_commands

    init_admin(app)
    init_commands(app)
    return app


def _init_sessions(app: Erlen) -> None:
    """Signed cookies by default; Redis when ``SESSION_REDIS_URL`` is set."""
    url = app.config.get("SESSION_REDIS_URL")
    if not url:
        return
    from erlen.server_sessions import ServerSideSessionInterface
    from erlen.server_sessions.redis import RedisStore

    prefix = app.config.get("SESSION_REDIS_PREFIX", "peoplebook:session:")
    app.session_interface = ServerSideSessionInterface(
        RedisStore(url=url, prefix=prefix)
    )
