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
from erlen import url_for
from erlen.auth import current_user
from erlen.auth import login_required

from ..extensions import db
from ..forms import PersonForm
from ..models import Person

bp = Blueprint("people", __name__, url_prefix="/people")


def _page(form: PersonForm, status: int) -> t.Any:
    # A bad ?page= shows the nearest page rather than an error.
    page = db.paginate(
        sa.select(Person)
        .where(Person.owner_id == current_user.id)
        .order_by(Person.name, Person.id),
        per_page=current_app.config["PEOPLE_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    return render_template("people/list.html", page=page, form=form), status


@bp.get("")
@login_required
def index() -> t.Any:
    return _page(PersonForm(), 200)


@bp.post("")
@login_required
def add() -> t.Any:
    form = PersonForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    person = Person(
        owner_id=current_user.id,
        name=form.name.data,
        email=form.email.data,
        age=form.age.data,
    )
    db.session.add(person)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.email.errors = ["Email is already in your book."]
        return _page(form, 422)
    flash(f"Added {person.name}.", "success")
    return redirect(url_for("people.index"))
