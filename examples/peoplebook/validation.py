"""Checks shared by the HTML forms and the JSON API.

Each returns ``(clean, errors)``: the cleaned values, and a list of messages
per field.  The form views show the messages next to the fields; the API
answers 422 with them.
"""

from __future__ import annotations

import re
import typing as t

Errors = dict[str, list[str]]

PERSON_FIELDS = ("name", "email", "age")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def _email(value: t.Any, errors: Errors) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault("email", []).append("is required")
        return None
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        errors.setdefault("email", []).append("must be an email address")
        return None
    return value


def _name(value: t.Any, errors: Errors) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.setdefault("name", []).append("is required")
        return None
    value = " ".join(value.split())
    if len(value) > 100:
        errors.setdefault("name", []).append("must be at most 100 characters")
        return None
    return value


def _age(value: t.Any, errors: Errors, *, from_form: bool) -> tuple[bool, int | None]:
    """(ok, age); a form sends text, JSON sends a number or null."""
    if value is None or (from_form and value.strip() == ""):
        return True, None
    if from_form:
        if not value.strip().isdigit():
            errors.setdefault("age", []).append("must be a whole number")
            return False, None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150:
        errors.setdefault("age", []).append("must be an integer from 0 to 150")
        return False, None
    return True, value


def validate_person(
    data: t.Any, *, partial: bool = False, from_form: bool = False
) -> tuple[dict[str, t.Any], Errors]:
    """Clean the fields of a person; ``partial`` allows missing fields (PATCH)."""
    if not isinstance(data, t.Mapping):
        return {}, {"": ["the body must be a JSON object"]}
    errors: Errors = {}
    clean: dict[str, t.Any] = {}
    if not from_form:
        for key in data:
            if key not in PERSON_FIELDS:
                errors.setdefault(str(key), []).append("unknown field")
    if "name" in data or not partial:
        name = _name(data.get("name"), errors)
        if name is not None:
            clean["name"] = name
    if "email" in data or not partial:
        email = _email(data.get("email"), errors)
        if email is not None:
            clean["email"] = email
    if "age" in data or not partial:
        ok, age = _age(data.get("age"), errors, from_form=from_form)
        if ok:
            clean["age"] = age
    return clean, errors


def validate_registration(form: t.Mapping[str, str]) -> tuple[dict[str, str], Errors]:
    """Name, email and a password typed twice."""
    errors: Errors = {}
    clean: dict[str, str] = {}
    name = _name(form.get("name"), errors)
    if name is not None:
        clean["name"] = name
    email = _email(form.get("email"), errors)
    if email is not None:
        clean["email"] = email
    password = form.get("password") or ""
    if len(password) < MIN_PASSWORD:
        errors.setdefault("password", []).append(
            f"must be at least {MIN_PASSWORD} characters"
        )
    elif len(password) > MAX_PASSWORD or "\0" in password:
        errors.setdefault("password", []).append("is not a usable password")
    elif password != form.get("confirm"):
        errors.setdefault("confirm", []).append("does not match the password")
    else:
        clean["password"] = password
    return clean, errors
