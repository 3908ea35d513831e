"""People CRUD, scoped to the logged-in user's book, with typed parameters.

``Body[PersonIn]`` and ``Query[int]`` are validated by erlen before a handler
runs; see ``schemas.py`` for the shapes and the extra rules.
"""

from __future__ import annotations

import dataclasses
import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from erlen import url_for
from erlen.api import Body
from erlen.api import Query
from erlen.api import doc
from erlen.api import validation_error
from erlen.auth import current_user
from erlen.auth import login_required
from erlen.idempotency import idempotent
from erlen.jsonapi import json_abort
from erlen.jsonapi import paginate
from erlen.views import MethodView

from ...extensions import db
from ...models import Avatar
from ...models import Person
from ...models import people_json
from ...schemas import PersonIn
from ...schemas import PersonOut
from ...schemas import PersonPage
from ...schemas import PersonPatch
from ...schemas import check_person
from . import bp

MAX_PER_PAGE = 100


def get_person_or_404(person_id: int) -> Person:
    """The user's person; someone else's is a 404 too (no existence leak).

    ``<int:person_id>`` takes any number of digits; an id past what the
    column holds is None from ``session.get`` without a query.
    """
    person = db.session.get(Person, person_id)
    if person is None or person.owner_id != current_user.id:
        json_abort(404, f"There is no person {person_id}.")
    return person


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


def _out(person: Person) -> PersonOut:
    return PersonOut(**people_json([person])[0])


def _owner() -> t.Any:
    return current_user.id


# ``login_required`` on each handler rather than in ``decorators``: a typed
# handler then checks the login before validating (anonymous clients get the
# 401, never a 422 describing the schema), and /docs marks it as needing one.
class PeopleAPI(MethodView):
    @login_required
    def get(self, page: Query[int] = 1, per_page: Query[int] = 20) -> PersonPage:
        """List the people of your book, oldest first, a page at a time.

        The answer also has ``Link`` (next, prev, first, last) and
        ``X-Total-Count`` headers.
        """
        errors: list[tuple[tuple[str | int, ...], str, str]] = []
        if page < 1:
            errors.append((("query", "page"), "must be 1 or more", "value"))
        if not 1 <= per_page <= MAX_PER_PAGE:
            message = f"must be from 1 to {MAX_PER_PAGE}"
            errors.append((("query", "per_page"), message, "value"))
        if errors:
            raise validation_error(errors)
        query = (
            sa.select(Person)
            .where(Person.owner_id == current_user.id)
            .order_by(Person.id)
        )
        pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
        items = people_json(list(pagination.items))
        by_id = {item["id"]: item for item in items}
        # The body has PersonPage's shape; paginate() adds the headers, and
        # erlen sends a Response as it is.
        response = paginate(pagination, serializer=lambda p: by_id[p.id])
        return t.cast(PersonPage, response)

    @doc(status=201, responses={409: "Another person in your book has this email"})
    @login_required
    @idempotent(scope=_owner)
    def post(self, person: Body[PersonIn]) -> tuple[PersonOut, int, dict[str, str]]:
        """Add a person.  Send ``Idempotency-Key`` to make a retry safe."""
        fields = check_person(dataclasses.asdict(person))
        row = Person(owner_id=current_user.id, **fields)
        _save(row)
        location = url_for("api.person", person_id=row.id, _external=True)
        return _out(row), 201, {"Location": location}


class PersonAPI(MethodView):
    @doc(responses={404: "No such person in your book"})
    @login_required
    def get(self, person_id: int) -> PersonOut:
        """One person."""
        return _out(get_person_or_404(person_id))

    @doc(responses={404: "No such person in your book", 409: "Email taken"})
    @login_required
    def put(self, person_id: int, person: Body[PersonIn]) -> PersonOut:
        """Replace a person's fields (a missing age becomes null)."""
        row = get_person_or_404(person_id)
        for key, value in check_person(dataclasses.asdict(person)).items():
            setattr(row, key, value)
        _save(row)
        return _out(row)

    @doc(responses={404: "No such person in your book", 409: "Email taken"})
    @login_required
    def patch(self, person_id: int, changes: Body[PersonPatch]) -> PersonOut:
        """Change some of a person's fields."""
        row = get_person_or_404(person_id)
        for key, value in check_person(changes).items():
            setattr(row, key, value)
        _save(row)
        return _out(row)

    @doc(status=204, responses={404: "No such person in your book"})
    @login_required
    def delete(self, person_id: int) -> tuple[str, int]:
        """Remove a person and their avatar."""
        person = get_person_or_404(person_id)
        db.session.execute(sa.delete(Avatar).where(Avatar.person_id == person.id))
        db.session.delete(person)
        db.session.commit()
        return "", 204


bp.add_url_rule("/people", view_func=PeopleAPI.as_view("people"))
bp.add_url_rule("/people/<int:person_id>", view_func=PersonAPI.as_view("person"))
