"""Database servers for tests: is one reachable, and a throwaway database on it.

:func:`temporary_database` gives a fresh schema (PostgreSQL) or database
(MariaDB) per test, dropped afterwards, so concurrent runs never collide.
An unreachable server skips the test, or fails it when ``CI`` is set.
Override the server URLs with ``ERLEN_TEST_POSTGRES_URL`` /
``ERLEN_TEST_MYSQL_URL``.  A module of its own (not a conftest) so test
folders share it by import.
"""

from __future__ import annotations

import contextlib
import os
import typing as t
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

__all__ = ["SERVERS", "admin_engine", "require_server", "temporary_database"]

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


def admin_engine(backend: str) -> sa.Engine:
    """An autocommit engine on the server's own database, no pool."""
    return sa.create_engine(
        SERVERS[backend],
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args=_CONNECT_ARGS[backend],
    )


def require_server(backend: str) -> None:
    """Skip (or fail under CI) when ``backend``'s server cannot be reached;
    asked once per run."""
    if backend not in _reachable:
        engine = admin_engine(backend)
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


@contextlib.contextmanager
def temporary_database(backend: str, prefix: str = "erlen") -> t.Iterator[str]:
    """The URL of an empty schema (PostgreSQL) or database (MariaDB) of the
    caller's own, dropped on the way out."""
    require_server(backend)
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    base = sa.make_url(SERVERS[backend])
    if backend == "postgresql":
        create, drop = f"CREATE SCHEMA {name}", f"DROP SCHEMA IF EXISTS {name} CASCADE"
        url = base.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        create, drop = f"CREATE DATABASE {name}", f"DROP DATABASE IF EXISTS {name}"
        url = base.set(database=name)
    admin = admin_engine(backend)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(drop)
    finally:
        admin.dispose()
