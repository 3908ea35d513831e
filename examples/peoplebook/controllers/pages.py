"""The home page and the dashboard."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from erlen import Blueprint
from erlen import redirect
from erlen import render_template
from erlen import url_for
from erlen.auth import current_user
from erlen.auth import login_required

from ..extensions import db
from ..models import Person

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> t.Any:
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    return render_template("home.html")


@bp.get("/dashboard")
@login_required
def dashboard() -> t.Any:
    mine = sa.select(Person).where(Person.owner_id == current_user.id)
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(mine.subquery())
    ).scalar_one()
    recent = (
        db.session.execute(mine.order_by(Person.id.desc()).limit(5)).scalars().all()
    )
    return render_template("dashboard.html", count=count, recent=recent)
