"""The HTML forms, on ``erlen.forms`` (WTForms with erlen's CSRF token).

Each form carries the hidden ``csrf_token`` field; ``CSRFProtect`` checks the
same token app-wide, so a page without a form class is protected too.  The
rules themselves live in ``validation.py``, shared with the JSON API.
"""

from __future__ import annotations

import typing as t

from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import StringField
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from erlen.forms import Form

from . import validation


def _rule(clean: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any, t.Any], None]:
    """A WTForms validator from a ``validation.clean_*`` function; the
    cleaned value replaces the typed one ("Ada  L." → "Ada L.")."""

    def check(form: t.Any, field: t.Any) -> None:
        try:
            field.data = clean(field.data)
        except validation.Invalid as e:
            raise ValidationError(f"{field.label.text} {e}.") from None

    return check


class RegisterForm(Form):
    name = StringField("Name", validators=[_rule(validation.clean_name)])
    email = StringField("Email", validators=[_rule(validation.clean_email)])
    password = PasswordField("Password", validators=[_rule(validation.check_password)])
    confirm = PasswordField("Password again")

    def validate_confirm(self, field: t.Any) -> None:
        if self.password.errors:
            return  # one message about the password is enough
        if field.data != self.password.data:
            raise ValidationError("Password again does not match the password.")


class LoginForm(Form):
    email = StringField("Email", filters=[lambda v: (v or "").strip().lower()])
    password = PasswordField("Password")
    remember = BooleanField("Remember me")


class PersonForm(Form):
    name = StringField("Name", validators=[_rule(validation.clean_name)])
    email = StringField("Email", validators=[_rule(validation.clean_email)])
    age = IntegerField("Age", validators=[Optional(), _rule(validation.clean_age)])


class PreferencesForm(Form):
    theme = RadioField("Theme")

    def __init__(self, themes: t.Sequence[str], **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self.theme.choices = [(name, name.capitalize()) for name in themes]
