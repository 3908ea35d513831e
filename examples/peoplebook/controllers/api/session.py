"""``GET /api/session``: the current user and a CSRF token for the API."""

from __future__ import annotations

import typing as t

from erlen.auth import current_user
from erlen.csrf import generate_csrf

from . import bp


@bp.get("/session")
def session() -> t.Any:
    user = None
    if current_user.is_authenticated:
        user = {"id": current_user.id, "name": current_user.name}
    return {"user": user, "csrf_token": generate_csrf()}
