"""Settings from the environment, so one image runs anywhere.

=====================  ==================================================
``SECRET_KEY``         signs sessions and tokens; every instance behind a
                       load balancer needs the same one.  Unset: a random
                       key kept in ``instance/secret_key`` (development).
``DATABASE_URL``       ``postgresql://...`` or ``mysql://...``; unset:
                       SQLite in ``instance/peoplebook.db``
``SESSION_REDIS_URL``  ``redis://host:6379/0``: sessions on the server,
                       shared by all instances; unset: signed cookies
``API_ORIGINS``        comma-separated origins of a front end allowed to
                       call ``/api`` with the user's cookies (CORS)
``PEOPLEBOOK_*``       any other config key (``PEOPLEBOOK_SESSION_COOKIE_
                       SECURE=true`` ...), read by ``from_prefixed_env``
=====================  ==================================================

``ERLEN_TRUSTED_PROXIES`` (the proxies allowed to set ``X-Forwarded-*``) is
read by erlen itself; see ``deploy/``.
"""

from __future__ import annotations

import os
import secrets
import typing as t
from pathlib import Path

DEFAULTS: dict[str, t.Any] = {
    "SQLALCHEMY_DATABASE_URI": "sqlite:///peoplebook.db",
    "API_ORIGINS": ["http://localhost:3000"],
    "PEOPLE_PER_PAGE": 10,
    "AVATAR_MAX_BYTES": 512 * 1024,
    # Room for the avatar plus the multipart framing; bigger bodies are a 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "THEMES": ("light", "dark"),
    "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
    "SESSION_COOKIE_NAME": "peoplebook_session",
    # Mail is printed to the console; PEOPLEBOOK_MAIL_BACKEND=smtp and
    # PEOPLEBOOK_MAIL_SERVER=... send it for real (docs/mail.md).
    "MAIL_BACKEND": "console",
    "MAIL_DEFAULT_SENDER": ("peoplebook", "noreply@peoplebook.example"),
    "OPENAPI_TITLE": "peoplebook API",
    "OPENAPI_VERSION": "1.0.0",
    # /admin when Flask-Admin is installed (None); False turns it off.
    "ADMIN": None,
}


def database_url(value: str) -> str:
    """Accept the ``postgres://`` spelling that hosting services hand out."""
    if value.startswith("postgres://"):
        return "postgresql://" + value[len("postgres://") :]
    return value


def from_environ(environ: t.Mapping[str, str]) -> dict[str, t.Any]:
    """The config keys that the plain environment variables set."""
    config: dict[str, t.Any] = {}
    key = environ.get("SECRET_KEY") or environ.get("ERLEN_SECRET_KEY")
    if key:
        config["SECRET_KEY"] = key
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = database_url(environ["DATABASE_URL"])
    if environ.get("SESSION_REDIS_URL"):
        config["SESSION_REDIS_URL"] = environ["SESSION_REDIS_URL"]
    if environ.get("API_ORIGINS"):
        config["API_ORIGINS"] = [
            o.strip() for o in environ["API_ORIGINS"].split(",") if o.strip()
        ]
    return config


def development_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so restarts keep logins."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
