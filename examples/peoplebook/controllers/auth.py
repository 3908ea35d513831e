"""Accounts: register, log in (with remember-me) and log out."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from erlen import Blueprint
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

from ..extensions import db
from ..models import User
from ..validation import validate_registration

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register() -> t.Any:
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    if request.method == "GET":
        return render_template("auth/register.html", form={}, errors={})
    clean, errors = validate_registration(request.form)
    if not errors:
        user = User(
            name=clean["name"],
            email=clean["email"],
            password_hash=hash_password(clean["password"]),
        )
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            errors = {"email": ["is already registered"]}
        else:
            flash("Your account is ready. Please log in.", "success")
            return redirect(url_for("auth.login", email=user.email))
    form = {k: request.form.get(k, "") for k in ("name", "email")}
    return render_template("auth/register.html", form=form, errors=errors), 422


@bp.route("/login", methods=["GET", "POST"])
def login() -> t.Any:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("pages.dashboard"))
        return render_template("auth/login.html", email=request.args.get("email", ""))
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    user = db.session.execute(
        sa.select(User).where(User.email == email)
    ).scalar_one_or_none()
    # Unknown users are checked against a dummy hash: same time, same answer.
    ok, new_hash = verify_and_update(user.password_hash if user else None, password)
    if user is None or not ok:
        flash("Wrong email or password.", "error")
        return render_template("auth/login.html", email=email), 401
    if new_hash:
        user.password_hash = new_hash
        db.session.commit()
    login_user(user, remember=request.form.get("remember") == "1")
    flash(f"Hello again, {user.name}.", "success")
    return redirect(get_next_url(url_for("pages.dashboard")))


@bp.post("/logout")
@login_required
def logout() -> t.Any:
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
