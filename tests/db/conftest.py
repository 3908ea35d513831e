"""Fixtures for erlen.db: the same tests on SQLite, PostgreSQL and MariaDB.

``db_url`` is parametrized over the three backends.  SQLite is a file in the
test's tmp folder; the servers get a fresh schema (PostgreSQL) or database
(MariaDB) per test, dropped afterwards, so concurrent runs never collide.  An
unreachable server skips its tests, or fails them when ``CI`` is set.
Override the server URLs with ``ERLEN_TEST_POSTGRES_URL`` / ``ERLEN_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
import typing as t
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from erlen import Erlen
from erlen.db import SQLAlchemy

SERVERS = {
    "postgresql": os.environ.get(
        "ERLEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get(
        "ERLEN_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
    ),
}
# A leaked lock fails the drop after 10 s instead of hanging the run.
_CONNECT_ARGS = {
    "postgresql": {"connect_timeout": 3, "options": "-c lock_timeout=10000"},
    "mysql": {"connect_timeout": 3, "init_command": "SET SESSION lock_wait_timeout=10"},
}
_reachable: dict[str, str | None] = {}


def _admin_engine(backend: str) -> sa.Engine:
    return sa.create_engine(
        SERVERS[backend],
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args=_CONNECT_ARGS[backend],
    )


def _check_server(backend: str) -> None:
    """Skip (or fail under CI) when ``backend``'s server cannot be reached."""
    if backend not in _reachable:
        engine = _admin_engine(backend)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            _reachable[backend] = None
        except Exception as e:  # any driver error means "not usable here"
            _reachable[backend] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
        finally:
            engine.dispose()
    error = _reachable[backend]
    if error is not None:
        where = sa.make_url(SERVERS[backend]).render_as_string(hide_password=True)
        message = f"{backend} is not reachable at {where} ({error})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires it")
        pytest.skip(message)


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
    _check_server(backend)
    name = f"erlen_{uuid.uuid4().hex[:16]}"
    base = sa.make_url(SERVERS[backend])
    admin = _admin_engine(backend)
    if backend == "postgresql":
        create, drop = f"CREATE SCHEMA {name}", f"DROP SCHEMA IF EXISTS {name} CASCADE"
        url = base.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        create, drop = f"CREATE DATABASE {name}", f"DROP DATABASE IF EXISTS {name}"
        url = base.set(database=name)
    with admin.connect() as conn:
        conn.exec_driver_sql(create)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop)
        admin.dispose()


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
