"""Fixtures for erlen.db: the same tests on SQLite, PostgreSQL and MariaDB.

``db_url`` is parametrized over the three backends.  SQLite is a file in the
test's tmp folder; the servers get a fresh schema (PostgreSQL) or database
(MariaDB) per test from ``tests/dbservers.py``, which also skips (or, under
``CI``, fails) a test whose server is unreachable.
"""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa

from dbservers import temporary_database
from erlen import Erlen
from erlen.db import SQLAlchemy


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Iterator[str]:
    """A database URL of an empty database of its own."""
    backend = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with temporary_database(backend) as url:
        yield url


@pytest.fixture
def backend(db_url: str) -> str:
    return sa.make_url(db_url).get_backend_name()


@pytest.fixture
def app(db_url: str, tmp_path: t.Any) -> Erlen:
    app = Erlen("db_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True, SECRET_KEY="test key", SQLALCHEMY_DATABASE_URI=db_url
    )
    return app


@pytest.fixture
def db(app: Erlen) -> t.Iterator[SQLAlchemy]:
    """The extension on ``app``; its engines are disposed after the test."""
    db = SQLAlchemy(app)
    yield db
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def user_model(db: SQLAlchemy, app: Erlen) -> t.Any:
    """A classic-style ``User`` model with its table created."""

    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String(20), unique=True, nullable=False)

    with app.app_context():
        db.create_all()
    return User
