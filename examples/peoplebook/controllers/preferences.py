"""Preferences: the theme, kept in a plain cookie (see ``theme.py``)."""

from __future__ import annotations

import typing as t

from erlen import Blueprint
from erlen import flash
from erlen import redirect
from erlen import render_template
from erlen import request
from erlen import url_for

from .. import theme

bp = Blueprint("preferences", __name__)


@bp.route("/preferences", methods=["GET", "POST"])
def preferences() -> t.Any:
    if request.method == "GET":
        return render_template("preferences.html", themes=theme.themes())
    choice = request.form.get("theme", "")
    if choice not in theme.themes():
        flash("Pick one of the listed themes.", "error")
        return render_template("preferences.html", themes=theme.themes()), 422
    response = redirect(url_for("preferences.preferences"))
    response.set_cookie(
        theme.COOKIE,
        choice,
        max_age=theme.MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    flash(f"Theme set to {choice}.", "success")
    return response
