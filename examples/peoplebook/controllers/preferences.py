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
from ..forms import PreferencesForm

bp = Blueprint("preferences", __name__)


@bp.route("/preferences", methods=["GET", "POST"])
def preferences() -> t.Any:
    form = PreferencesForm(theme.themes())
    if not form.is_submitted():
        form.theme.data = theme.current_theme(request)
        return render_template("preferences.html", form=form)
    if not form.validate():
        flash("Pick one of the listed themes.", "error")
        return render_template("preferences.html", form=form), 422
    choice = form.theme.data
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
