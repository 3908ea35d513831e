"""A small JSON CRUD API: people, the erlen way.

The conventions it shows (and ``tests/test_example_api.py`` checks):

=========================  =====================================================
``GET /api/people``        200, paginated list; ``Link`` + ``X-Total-Count``;
                           bad ``page``/``per_page`` is a 400 with the reason
``POST /api/people``       201 + ``Location`` + the new person;
                           duplicate email 409; invalid fields 422 with
                           ``errors`` per field; a non-JSON body 415
``GET /api/people/<id>``   200, or 404 as a JSON problem
``PUT /api/people/<id>``   replace: every field required; 200 + the person
``PATCH /api/people/<id>`` update: only the fields sent; 200 + the person
``DELETE /api/people/<id>`` 204, empty body
=========================  =====================================================

Every error is ``{"error": {"status", "title", "detail", ...}}``
(``application/problem+json``), browsers on other origins may call ``/api/``
(CORS), and one ``MethodView`` class per resource holds its handlers.

Run it: ``erlen --app examples/api/app.py run``.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from erlen import Blueprint
from erlen import Erlen
from erlen import request
from erlen import url_for
from erlen.cors import CORS
from erlen.db import SQLAlchemy
from erlen.jsonapi import JSONErrors
from erlen.jsonapi import json_abort
from erlen.jsonapi import page_args
from erlen.jsonapi import paginate
from erlen.views import MethodView

db = SQLAlchemy()


class Person(db.Model):  # type: ignore[name-defined,misc]
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    age = sa.Column(sa.Integer, nullable=True)

    def to_json(self) -> dict[str, t.Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "age": self.age}


FIELDS = ("name", "email", "age")


def _validate(data: t.Any, *, partial: bool) -> dict[str, t.Any]:
    """The clean fields of a person, or a 422 listing what is wrong with each."""
    if not isinstance(data, dict):
        json_abort(
            422, "The body must be a JSON object.", errors={"": ["not an object"]}
        )
    errors: dict[str, list[str]] = {}
    clean: dict[str, t.Any] = {}
    for key in data:
        if key not in FIELDS:
            errors.setdefault(key, []).append("unknown field")
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            errors.setdefault("name", []).append("must be a non-empty string")
        elif len(name) > 100:
            errors.setdefault("name", []).append("must be at most 100 characters")
        else:
            clean["name"] = name.strip()
    elif not partial:
        errors.setdefault("name", []).append("is required")
    if "email" in data:
        email = data["email"]
        if (
            not isinstance(email, str)
            or "@" not in email.strip("@")
            or len(email) > 254
        ):
            errors.setdefault("email", []).append("must be an email address")
        else:
            clean["email"] = email.strip().lower()
    elif not partial:
        errors.setdefault("email", []).append("is required")
    if "age" in data:
        age = data["age"]
        if age is not None and (
            isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 150
        ):
            errors.setdefault("age", []).append("must be an integer from 0 to 150")
        else:
            clean["age"] = age
    elif not partial:
        clean["age"] = None
    if errors:
        json_abort(422, "The person is not valid.", errors=errors)
    return clean


def _get_or_404(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        json_abort(404, f"There is no person {person_id}.")
    return person


def _save(person: Person) -> None:
    """Commit, turning a unique-email clash into a 409."""
    db.session.add(person)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        json_abort(
            409,
            "Another person already has this email address.",
            errors={"email": ["is already taken"]},
        )


class PeopleAPI(MethodView):
    """The collection: list and create."""

    def get(self) -> t.Any:
        page, per_page = page_args(default_per_page=10, max_per_page=50)
        query = sa.select(Person).order_by(Person.id)
        pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
        return paginate(pagination, serializer=Person.to_json)

    def post(self) -> t.Any:
        fields = _validate(request.get_json(), partial=False)
        person = Person(**fields)
        _save(person)
        location = url_for(".person", person_id=person.id, _external=True)
        return person.to_json(), 201, {"Location": location}


class PersonAPI(MethodView):
    """One person: read, replace, update, delete."""

    def get(self, person_id: int) -> t.Any:
        return _get_or_404(person_id).to_json()

    def put(self, person_id: int) -> t.Any:
        person = _get_or_404(person_id)
        for key, value in _validate(request.get_json(), partial=False).items():
            setattr(person, key, value)
        _save(person)
        return person.to_json()

    def patch(self, person_id: int) -> t.Any:
        person = _get_or_404(person_id)
        for key, value in _validate(request.get_json(), partial=True).items():
            setattr(person, key, value)
        _save(person)
        return person.to_json()

    def delete(self, person_id: int) -> t.Any:
        person = _get_or_404(person_id)
        db.session.delete(person)
        db.session.commit()
        return "", 204


api = Blueprint("people", __name__, url_prefix="/api/people")
api.add_url_rule("", view_func=PeopleAPI.as_view("people"))
api.add_url_rule("/<int:person_id>", view_func=PersonAPI.as_view("person"))


def create_app(config: t.Mapping[str, t.Any] | None = None) -> Erlen:
    app = Erlen(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SECRET_KEY="dev only - change me",
    )
    if config:
        app.config.update(config)
    db.init_app(app)
    JSONErrors(app)
    CORS(
        app,
        resources={"/api/*": {}},
        origins=app.config.get("API_ORIGINS", ["http://localhost:3000"]),
        expose_headers=["Link", "Location", "X-Total-Count"],
        max_age=600,
    )
    app.register_blueprint(api)
    with app.app_context():
        db.create_all()
    return app


app = create_app()
