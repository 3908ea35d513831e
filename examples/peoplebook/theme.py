"""The theme preference: a plain cookie, not the session.

A preference is not a secret and must outlive logout (which empties the
session), so it lives in its own cookie; only known values are used.
"""

from __future__ import annotations

import typing as t

from erlen import current_app

COOKIE = "theme"
MAX_AGE = 365 * 24 * 3600


def themes() -> tuple[str, ...]:
    return tuple(current_app.config["THEMES"])


def current_theme(request: t.Any) -> str:
    value = request.cookies.get(COOKIE)
    known = themes()
    return value if value in known else known[0]
