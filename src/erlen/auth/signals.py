"""Flask-Login's signals, same names; each is sent with the app as sender.

``user_logged_in``, ``user_logged_out``, ``user_loaded_from_cookie``,
``user_loaded_from_request`` and ``user_login_confirmed`` carry ``user=``.
"""

from __future__ import annotations

import typing as t

from blinker import Namespace

__all__ = [
    "session_protected",
    "user_accessed",
    "user_loaded_from_cookie",
    "user_loaded_from_request",
    "user_logged_in",
    "user_logged_out",
    "user_login_confirmed",
    "user_needs_refresh",
    "user_unauthorized",
]

_signals = Namespace()

user_logged_in = _signals.signal("logged-in")
user_logged_out = _signals.signal("logged-out")
user_loaded_from_cookie = _signals.signal("loaded-from-cookie")
user_loaded_from_request = _signals.signal("loaded-from-request")
user_login_confirmed = _signals.signal("login-confirmed")
user_unauthorized = _signals.signal("unauthorized")
user_needs_refresh = _signals.signal("needs-refresh")
user_accessed = _signals.signal("accessed")
session_protected = _signals.signal("session-protected")


def send(signal: t.Any, app: t.Any, **kwargs: t.Any) -> None:
    """Send only when someone listens (PERF: no blinker call otherwise)."""
    if signal.receivers:
        signal.send(app, **kwargs)
