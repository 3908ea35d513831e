"""The batteries app (issue 12) as a user of the reference framework and its
login and SQLAlchemy extensions writes it: a logged-in ``/me`` and one row by
primary key.

``erlen_batteries.py`` runs this very source with the imports rewritten to
erlen, erlen.auth and erlen.db.  Keep framework names out of everything but
the import lines and the constructor call.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_sqlalchemy import SQLAlchemy

from bench.apps.common import ITEM_JSON
from bench.apps.common import PASSWORD_HASH
from bench.apps.common import SECRET_KEY
from bench.apps.common import USER_JSON

db = SQLAlchemy()
login_manager = LoginManager()


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    email = db.Column(db.String(120), nullable=False)
    password_hash = db.Column(db.String(200), nullable=False)


class Item(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "items"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    price = db.Column(db.Integer, nullable=False)


@login_manager.user_loader
def load_user(user_id: str) -> Any:
    return db.session.get(User, int(user_id))


def create_app(uri: str) -> Any:
    """The app on the database at ``uri``, with its one user and one item."""
    app = Flask(__name__)
    app.secret_key = SECRET_KEY
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    db.init_app(app)
    login_manager.init_app(app)

    @app.post("/login/<int:id>")
    def login(id: int) -> str:
        login_user(db.get_or_404(User, id))
        return "ok"

    @app.route("/me")
    @login_required
    def me() -> Any:
        user = current_user
        return jsonify(id=user.id, username=user.username, email=user.email)

    @app.route("/items/<int:id>")
    def item(id: int) -> Any:
        item = db.get_or_404(Item, id)
        return jsonify(id=item.id, name=item.name, price=item.price)

    with app.app_context():
        db.create_all()
        db.session.add(User(password_hash=PASSWORD_HASH, **USER_JSON))
        db.session.add(Item(**ITEM_JSON))
        db.session.commit()
    return app
