"""A small erlen site: a templated page, a stylesheet, a session login, flashes.

Run it from this folder with ``erlen run`` (or ``python app.py``), then open
http://127.0.0.1:5000/ and log in as ``ada`` / ``lovelace``.

The user table and the plain-text password are for show only: a real app
stores password hashes (see ``erlen.auth``) and protects forms against CSRF.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from erlen import Erlen
from erlen import flash
from erlen import redirect
from erlen import render_template
from erlen import request
from erlen import session
from erlen import url_for

app = Erlen(__name__)
# ERLEN_SECRET_KEY in the environment keeps sessions across restarts; without
# it every start picks a new key (and logs everybody out), which is fine here.
app.config.from_prefixed_env()
if not app.secret_key:
    app.secret_key = secrets.token_hex(32)

USERS = {"ada": "lovelace", "grace": "hopper"}


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page, then back here."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "user" not in session:
            flash("Please log in first.", "warning")
            return redirect(url_for("login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("index")


@app.get("/")
def index() -> str:
    return render_template("index.html", user=session.get("user"))


@app.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        name = request.form.get("username", "")
        password = request.form.get("password", "")
        expected = USERS.get(name)
        if expected is not None and hmac.compare_digest(
            password.encode(), expected.encode()
        ):
            session.clear()  # a fresh session at login
            session["user"] = name
            session.permanent = bool(request.form.get("remember"))
            flash(f"Welcome back, {name}!", "success")
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown user or wrong password.", "error")
        return render_template("login.html", username=name), 401
    return render_template("login.html", username="")


@app.post("/logout")
def logout() -> Any:
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("index"))


@app.get("/secret")
@login_required
def secret() -> str:
    return render_template("secret.html", user=session["user"])


if __name__ == "__main__":
    app.run(debug=bool(os.environ.get("ERLEN_DEBUG")))
