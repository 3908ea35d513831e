"""Flask-Admin, unchanged, over erlen.db models and behind erlen.auth.

Imported only with compat mode on: Flask-Admin's own ``import flask`` then
gets erlen.  The app itself is a plain erlen app.
"""

from __future__ import annotations

import typing as t

from flask_admin import Admin
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from erlen import Erlen
from erlen import abort
from erlen import redirect
from erlen import request
from erlen import url_for
from erlen.auth import LoginManager
from erlen.auth import UserMixin
from erlen.auth import current_user
from erlen.auth import hash_password
from erlen.auth import login_user
from erlen.auth import logout_user
from erlen.auth import verify_password
from erlen.db import SQLAlchemy

try:  # Flask-Admin translates through Flask-Babel whenever it is installed
    from flask_babel import Babel
except ImportError:  # pragma: no cover - depends on what is installed
    Babel = None

db = SQLAlchemy()
login_manager = LoginManager()


class User(db.Model, UserMixin):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(db.String(200))
    is_admin: Mapped[bool] = mapped_column(default=False)


class Post(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(db.String(80))
    body: Mapped[str] = mapped_column(db.Text, default="")


class AdminOnly:
    """Mixed into every admin view: anonymous users go to the login page,
    logged-in users who are not admins get 403."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_admin)

    def inaccessible_callback(self, name: str, **kwargs: t.Any) -> t.Any:
        if not current_user.is_authenticated:
            return redirect(url_for("login", next=request.full_path))
        abort(403)


class SecureIndex(AdminOnly, AdminIndexView):
    pass


class UserAdmin(AdminOnly, ModelView):
    column_list = ("email", "is_admin")
    form_columns = ("email", "is_admin")


class PostAdmin(AdminOnly, ModelView):
    column_searchable_list = ("title",)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def create_app() -> Erlen:
    app = Erlen(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="admin test key",
        SQLALCHEMY_DATABASE_URI="sqlite://",
    )
    db.init_app(app)
    if Babel is not None:
        Babel(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    admin = Admin(app, name="erlen admin", index_view=SecureIndex())
    admin.add_view(UserAdmin(User, db))
    admin.add_view(PostAdmin(Post, db))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> t.Any:
        if request.method == "GET":
            return "<form method=post><input name=email><input name=password></form>"
        user = db.session.scalar(
            db.select(User).filter_by(email=request.form.get("email", ""))
        )
        password = request.form.get("password", "")
        if user is None or not verify_password(user.password_hash, password):
            abort(401)
        login_user(user)
        return redirect(request.args.get("next") or "/")

    @app.post("/logout")
    def logout() -> t.Any:
        logout_user()
        return redirect("/")

    with app.app_context():
        db.create_all()
        db.session.add_all(
            [
                User(
                    email="root@example.com",
                    password_hash=hash_password("root pw"),
                    is_admin=True,
                ),
                User(
                    email="joe@example.com",
                    password_hash=hash_password("joe pw"),
                ),
                Post(title="First", body="hello"),
            ]
        )
        db.session.commit()
    return app
