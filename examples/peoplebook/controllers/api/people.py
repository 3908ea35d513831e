"""People CRUD, scoped to the logged-in user's book."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from erlen import request
from erlen import url_for
from erlen.auth import current_user
from erlen.auth import login_required
from erlen.jsonapi import json_abort
from erlen.jsonapi import page_args
from erlen.jsonapi import paginate
from erlen.views import MethodView

from ...extensions import db
from ...models import Avatar
from ...models import Person
from ...models import people_json
from ...validation import validate_person
from . import bp


def get_person_or_404(person_id: int) -> Person:
    """The user's person; someone else's is a 404 too (no existence leak)."""
    person = db.session.execute(
        sa.select(Person).where(
            Person.id == person_id, Person.owner_id == current_user.id
        )
    ).scalar_one_or_none()
    if person is None:
        json_abort(404, f"There is no person {person_id}.")
    return person


def _fields(partial: bool) -> dict[str, t.Any]:
    clean, errors = validate_person(request.get_json(), partial=partial)
    if errors:
        json_abort(422, "The person is not valid.", errors=errors)
    return clean


def _save(person: Person) -> None:
    """Commit, turning a duplicate email into a 409."""
    db.session.add(person)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        json_abort(
            409,
            "Another person in your book has this email address.",
            errors={"email": ["is already taken"]},
        )


def _json(person: Person) -> dict[str, t.Any]:
    return people_json([person])[0]


class PeopleAPI(MethodView):
    decorators = [login_required]

    def get(self) -> t.Any:
        page, per_page = page_args(default_per_page=20, max_per_page=100)
        query = (
            sa.select(Person)
            .where(Person.owner_id == current_user.id)
            .order_by(Person.id)
        )
        pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
        return _page(pagination)

    def post(self) -> t.Any:
        person = Person(owner_id=current_user.id, **_fields(partial=False))
        _save(person)
        location = url_for("api.person", person_id=person.id, _external=True)
        return _json(person), 201, {"Location": location}


def _page(pagination: t.Any) -> t.Any:
    items = people_json(list(pagination.items))
    by_id = {item["id"]: item for item in items}
    return paginate(pagination, serializer=lambda p: by_id[p.id])


class PersonAPI(MethodView):
    decorators = [login_required]

    def get(self, person_id: int) -> t.Any:
        return _json(get_person_or_404(person_id))

    def put(self, person_id: int) -> t.Any:
        person = get_person_or_404(person_id)
        for key, value in _fields(partial=False).items():
            setattr(person, key, value)
        _save(person)
        return _json(person)

    def patch(self, person_id: int) -> t.Any:
        person = get_person_or_404(person_id)
        for key, value in _fields(partial=True).items():
            setattr(person, key, value)
        _save(person)
        return _json(person)

    def delete(self, person_id: int) -> t.Any:
        person = get_person_or_404(person_id)
        db.session.execute(sa.delete(Avatar).where(Avatar.person_id == person.id))
        db.session.delete(person)
        db.session.commit()
        return "", 204


bp.add_url_rule("/people", view_func=PeopleAPI.as_view("people"))
bp.add_url_rule("/people/<int:person_id>", view_func=PersonAPI.as_view("person"))
