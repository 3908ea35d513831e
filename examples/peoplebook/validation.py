"""The rules for a person and an account, shared by the forms and the API.

The types (a string, an integer or null) are checked before a view runs:
by ``erlen.api`` for JSON (``schemas.py``) and by WTForms for the HTML forms
(``forms.py``).  What a type cannot say — an email's shape, an age's range —
is checked here, once, so both sides refuse the same values with the same
words.  Each ``clean_*`` returns the normalised value or raises
:class:`Invalid` with a message that follows the field's name.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 100
MAX_EMAIL = 254
MAX_AGE = 150
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class Invalid(ValueError):
    """A value breaks a rule; ``str(e)`` is the message ("is required")."""


def clean_name(value: str | None) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise Invalid("is required")
    if len(value) > MAX_NAME:
        raise Invalid(f"must be at most {MAX_NAME} characters")
    return value


def clean_email(value: str | None) -> str:
    value = (value or "").strip().lower()
    if not value:
        raise Invalid("is required")
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise Invalid("must be an email address")
    return value


def clean_age(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_AGE:
        raise Invalid(f"must be a whole number from 0 to {MAX_AGE}")
    return value


def check_password(value: str | None) -> str:
    value = value or ""
    if len(value) < MIN_PASSWORD:
        raise Invalid(f"must be at least {MIN_PASSWORD} characters")
    if len(value) > MAX_PASSWORD or "\0" in value:
        raise Invalid("is not a usable password")
    return value
