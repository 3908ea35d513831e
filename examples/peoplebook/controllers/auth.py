"""Accounts: register (with a welcome email), log in with remember-me, log out."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from erlen import Blueprint
from erlen import current_app
from erlen import flash
from erlen import redirect
from erlen import render_template
from erlen import request
from erlen import url_for
from erlen.auth import current_user
from erlen.auth import get_next_url
from erlen.auth import hash_password
from erlen.auth import login_required
from erlen.auth import login_user
from erlen.auth import logout_user
from erlen.auth import verify_and_update
from erlen.mail import Message

from ..extensions import db
from ..extensions import mail
from ..forms import LoginForm
from ..forms import RegisterForm
from ..models import User

bp = Blueprint("auth", __name__)


def send_welcome(user: User) -> None:
    """The welcome email; a mail server that is down must not undo the
    account, so a failure is logged, not shown."""
    message = Message(
        "Welcome to peoplebook",
        recipients=[(user.name, user.email)],
        body=render_template("mail/welcome.txt", user=user),
    )
    try:
        mail.send(message)
    except Exception:
        current_app.logger.exception("Could not send the welcome email")


@bp.route("/register", methods=["GET", "POST"])
def register() -> t.Any:
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    form = RegisterForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/register.html", form=form), status
    user = User(
        name=form.name.data,
        email=form.email.data,
        password_hash=hash_password(form.password.data or ""),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.email.errors = ["Email is already registered."]
        return render_template("auth/register.html", form=form), 422
    send_welcome(user)
    flash("Your account is ready. Please log in.", "success")
    return redirect(url_for("auth.login", email=user.email))


@bp.route("/login", methods=["GET", "POST"])
def login() -> t.Any:
    form = LoginForm()
    if not form.is_submitted():
        if current_user.is_authenticated:
            return redirect(url_for("pages.dashboard"))
        form.email.data = request.args.get("email", "")
        return render_template("auth/login.html", form=form)
    if not form.validate():  # only the CSRF token can be wrong here
        return render_template("auth/login.html", form=form), 400
    user = db.session.execute(
        sa.select(User).where(User.email == form.email.data)
    ).scalar_one_or_none()
    # Unknown users are checked against a dummy hash: same time, same answer.
    ok, new_hash = verify_and_update(
        user.password_hash if user else None, form.password.data or ""
    )
    if user is None or not ok:
        flash("Wrong email or password.", "error")
        return render_template("auth/login.html", form=form), 401
    if new_hash:
        user.password_hash = new_hash
        db.session.commit()
    login_user(user, remember=bool(form.remember.data))
    flash(f"Hello again, {user.name}.", "success")
    return redirect(get_next_url(url_for("pages.dashboard")))


@bp.post("/logout")
@login_required
def logout() -> t.Any:
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
