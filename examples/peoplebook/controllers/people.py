"""The book: a paginated list of the user's people and a form to add one."""

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
from erlen.auth import login_required

from ..extensions import db
from ..models import Person
from ..validation import validate_person

bp = Blueprint("people", __name__, url_prefix="/people")


def _page(
    form: t.Mapping[str, str], errors: dict[str, list[str]], status: int
) -> t.Any:
    # A bad ?page= shows the nearest page rather than an error.
    page = db.paginate(
        sa.select(Person)
        .where(Person.owner_id == current_user.id)
        .order_by(Person.name, Person.id),
        per_page=current_app.config["PEOPLE_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    html = render_template("people/list.html", page=page, form=form, errors=errors)
    return html, status


@bp.get("")
@login_required
def index() -> t.Any:
    return _page({}, {}, 200)


@bp.post("")
@login_required
def add() -> t.Any:
    clean, errors = validate_person(request.form, from_form=True)
    if not errors:
        db.session.add(Person(owner_id=current_user.id, **clean))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            errors = {"email": ["is already in your book"]}
        else:
            flash(f"Added {clean['name']}.", "success")
            return redirect(url_for("people.index"))
    form = {k: request.form.get(k, "") for k in ("name", "email", "age")}
    return _page(form, errors, 422)
