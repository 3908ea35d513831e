"""The JSON shapes of the API, as types ``erlen.api`` validates and documents.

``Body[PersonIn]`` makes erlen check the JSON types before the view runs (a
422 lists every wrong field); :func:`check_person` then applies the rules
of ``validation.py`` that a type cannot express, answering in the same
422 format.  The same classes feed the OpenAPI document at ``/docs``.
"""

from __future__ import annotations

import dataclasses
import typing as t

from erlen.api import validation_error

from . import validation


@dataclasses.dataclass
class PersonIn:
    """A person to create, or to replace with PUT."""

    name: str
    email: str
    age: int | None = None


class PersonPatch(t.TypedDict, total=False):
    """The fields to change; the ones left out stay as they are."""

    name: str
    email: str
    age: int | None


@dataclasses.dataclass
class PersonOut:
    id: int
    name: str
    email: str
    age: int | None
    avatar: str | None


@dataclasses.dataclass
class PersonPage:
    """A page of the list; ``Link`` and ``X-Total-Count`` headers come too."""

    items: list[PersonOut]
    page: int
    per_page: int
    total: int
    pages: int


_RULES: dict[str, t.Callable[[t.Any], t.Any]] = {
    "name": validation.clean_name,
    "email": validation.clean_email,
    "age": validation.clean_age,
}


def check_person(fields: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The cleaned fields, or a 422 naming every field that breaks a rule."""
    clean: dict[str, t.Any] = {}
    errors: list[tuple[tuple[str | int, ...], str, str]] = []
    for name, value in fields.items():
        try:
            clean[name] = _RULES[name](value)
        except validation.Invalid as e:
            errors.append((("body", name), str(e), "value"))
    if errors:
        raise validation_error(errors)
    return clean
