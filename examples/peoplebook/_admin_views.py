"""The admin's views; imported only after compat mode is on (``admin.py``)."""

from __future__ import annotations

import typing as t

from flask_admin import Admin
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView

from erlen import Erlen
from erlen import abort
from erlen import redirect
from erlen import request
from erlen import url_for
from erlen.auth import current_user
from erlen.forms import Form

from .extensions import db
from .models import Person
from .models import User


class AdminOnly:
    """Anonymous visitors log in first; users who are not admins get 403."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_admin)

    def inaccessible_callback(self, name: str, **kwargs: t.Any) -> t.Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class IndexView(AdminOnly, AdminIndexView):
    pass


class SecureModelView(AdminOnly, ModelView):
    # erlen's CSRF token in every admin form, so CSRFProtect lets them in.
    form_base_class = Form
    page_size = 20


class UserView(SecureModelView):
    column_list = ("name", "email", "is_admin", "created_at")
    column_searchable_list = ("name", "email")
    form_columns = ("name", "email", "is_admin")  # never the password hash
    can_create = False  # accounts come from /register


class PersonView(SecureModelView):
    column_list = ("name", "email", "age", "owner_id", "created_at")
    column_searchable_list = ("name", "email")
    form_columns = ("name", "email", "age")


def mount(app: Erlen) -> None:
    try:  # Flask-Admin translates through Flask-Babel whenever it is installed
        from flask_babel import Babel
    except ImportError:
        Babel = None
    if Babel is not None and "babel" not in app.extensions:
        Babel(app)
    admin = Admin(app, name="peoplebook admin", index_view=IndexView())
    admin.add_view(UserView(User, db, name="Users"))
    admin.add_view(PersonView(Person, db, name="People"))
