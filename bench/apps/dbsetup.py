"""Where each batteries app keeps its database: a fresh one per worker process.

SQLite: a file in a temporary folder, removed at exit.  PostgreSQL
(127.0.0.1:5432, database ``test``): a schema of the framework's own,
``bench_<framework>``, dropped and recreated, named in the connection's
``search_path`` so every app runs the same SQL on its own tables.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_DB = "test"
PG_USER = "postgres"

_tmp: list[Path] = []
_PREFIX = "erlen-bench-db-"


def pg_reachable(timeout: float = 0.5) -> bool:
    """Whether PostgreSQL accepts a TCP connection (bounded wait)."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Database:
    backend: str  # "sqlite" or "postgresql"
    path: str = ""  # SQLite file
    schema: str = ""  # PostgreSQL schema

    @property
    def sqlalchemy_uri(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        return (
            f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"
            f"?options=-csearch_path%3D{self.schema}"
        )

    @property
    def pg_options(self) -> str:
        return f"-csearch_path={self.schema}"

    def pg_connect(self, autocommit: bool = True) -> object:
        import psycopg

        return psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            dbname=PG_DB,
            user=PG_USER,
            options=self.pg_options,
            autocommit=autocommit,
            connect_timeout=5,
        )


def _cleanup() -> None:
    for path in _tmp:
        shutil.rmtree(path, ignore_errors=True)


def _sweep() -> None:
    """Remove the folders of worker processes that died without cleaning up
    (killed by a timeout): each folder's name carries its process id."""
    for path in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        pid = path.name[len(_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, someone else's


def sqlite_path(framework: str) -> Path:
    """The SQLite file of ``framework`` in this process's temporary folder."""
    if not _tmp:
        _sweep()
        prefix = f"{_PREFIX}{os.getpid()}-{framework}-"
        _tmp.append(Path(tempfile.mkdtemp(prefix=prefix)))
        atexit.register(_cleanup)
    return _tmp[0] / f"{framework}.sqlite3"


def pg_schema(framework: str) -> str:
    return f"bench_{framework}"


def fresh(framework: str, backend: str) -> Database:
    """An empty database for ``framework`` on ``backend``."""
    if backend == "sqlite":
        path = sqlite_path(framework)
        path.unlink(missing_ok=True)
        return Database("sqlite", path=str(path))
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    if not pg_reachable():
        raise RuntimeError(f"PostgreSQL unreachable on {PG_HOST}:{PG_PORT}")
    db = Database("postgresql", schema=pg_schema(framework))
    import psycopg

    with psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        dbname=PG_DB,
        user=PG_USER,
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {db.schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {db.schema}")
    return db
