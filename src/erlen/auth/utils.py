"""Safe ``next`` targets: only same-site relative paths, never an open redirect.

A browser resolves ``//evil.example``, ``/\\evil.example``, ``\\\\evil`` and
``https:evil.example`` to another host, and ignores tabs and newlines inside
URLs, so the check is a strict allow-list: one leading ``/``, then no ``/``
or ``\\`` right after it, no backslash, no control character or space, no
scheme and no host.
"""

from __future__ import annotations

import re
import typing as t
import unicodedata
from urllib.parse import urlsplit

__all__ = ["get_next_url", "is_safe_next_url"]

# Control characters, space, backslash, and DEL anywhere in the target.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_MAX_LENGTH = 2048


def is_safe_next_url(target: str | None) -> bool:
    """True for a same-site relative path such as ``/account?tab=2``."""
    if not target or len(target) > _MAX_LENGTH or target[0] != "/":
        return False
    if target[1:2] in ("/", "\\"):
        return False
    if _UNSAFE_CHARS.search(target):
        return False
    if not target.isascii() and any(
        unicodedata.category(c)[0] in "CZ" for c in target if not c.isascii()
    ):
        return False  # invisible, format or separator characters
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def get_next_url(default: str = "/", field: str = "next") -> str:
    """The request's ``next`` target (query, form, or session) when safe,
    else ``default``.

    Use it in the login view: ``return redirect(get_next_url(url_for("index")))``.
    """
    from ..globals import _cv_context

    ctx = _cv_context.get(None)
    request = ctx.request if ctx is not None else None
    if ctx is None or request is None:
        return default
    target: t.Any = request.args.get(field)
    if target is None and request.method == "POST":
        target = request.form.get(field)
    if ctx.app.config.get("USE_SESSION_FOR_NEXT"):
        stored = ctx.session.pop(field, None)  # type: ignore[union-attr]
        if target is None:
            target = stored
    if isinstance(target, str) and is_safe_next_url(target):
        return target
    return default
