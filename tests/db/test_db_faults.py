"""An unreachable database is a 503 with Retry-After, and the pool recovers.

The outage is real: a closed port (nothing listening), or the server killing
the pooled connection (``pg_terminate_backend`` / ``KILL``) between requests
and in the middle of one.
"""

from __future__ import annotations

import logging
import socket
import typing as t

import pytest
import sqlalchemy as sa

from erlen import Erlen
from erlen.db import SQLAlchemy
from erlen.db.unavailable import is_unavailable


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(
        url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:{port}/test?connect_timeout=2",
        "mysql://root@127.0.0.1:{port}/test?connect_timeout=2",
    ],
)
def test_unreachable_server_is_a_503(
    url: str, tmp_path: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = Erlen("faults", instance_path=str(tmp_path))
    app.config.update(
        TESTING=True, SQLALCHEMY_DATABASE_URI=url.format(port=_closed_port())
    )
    db = SQLAlchemy(app)

    @app.route("/")
    def index() -> t.Any:
        return str(db.session.execute(sa.text("SELECT 1")).scalar())

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        rv = app.test_client().get("/")
    assert rv.status_code == 503
    assert rv.headers["Retry-After"] == "5"
    assert b"database is unavailable" in rv.data
    assert b"Traceback" not in rv.data
    [record] = _errors(caplog)  # logged once, without a traceback
    assert "Database unavailable on GET /" in record.getMessage()
    assert record.exc_info is None


def test_retry_after_and_opt_out(tmp_path: t.Any) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test?connect_timeout=2"
    app = Erlen("faults", instance_path=str(tmp_path))
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_UNAVAILABLE_RETRY_AFTER=30,
    )
    db = SQLAlchemy(app)

    @app.route("/")
    def index() -> t.Any:
        return str(db.session.execute(sa.text("SELECT 1")).scalar())

    @app.errorhandler(503)
    def unavailable(e: t.Any) -> t.Any:
        return {"error": e.description}, 503, {"Retry-After": str(e.retry_after)}

    client = app.test_client()
    rv = client.get("/")
    assert rv.status_code == 503
    assert rv.json == {
        "error": "The database is unavailable. Please try again in a moment."
    }
    assert rv.headers["Retry-After"] == "30"
    app.config["SQLALCHEMY_UNAVAILABLE_503"] = False
    with pytest.raises(sa.exc.OperationalError):  # TESTING propagates it
        client.get("/")


def test_other_operational_errors_stay_500(
    app: Erlen, db: SQLAlchemy, backend: str
) -> None:
    @app.route("/")
    def index() -> t.Any:
        return str(db.session.execute(sa.text("SELECT * FROM no_such_table")).all())

    app.config["PROPAGATE_EXCEPTIONS"] = False
    rv = app.test_client().get("/")
    assert rv.status_code == 500


def test_pool_pre_ping_is_on_for_servers(
    app: Erlen, db: SQLAlchemy, backend: str
) -> None:
    with app.app_context():
        assert db.engine.pool._pre_ping is (backend != "sqlite")


def _kill_sql(backend: str) -> tuple[str, str]:
    if backend == "postgresql":
        return "SELECT pg_backend_pid()", "SELECT pg_terminate_backend({})"
    return "SELECT connection_id()", "KILL {}"


@pytest.fixture
def server(backend: str) -> str:
    if backend == "sqlite":
        pytest.skip("SQLite has no server connection to kill")
    return backend


@pytest.mark.parametrize("pre_ping", [True, False])
def test_killed_connection_recovers(
    app: Erlen,
    db_url: str,
    server: str,
    pre_ping: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server drops the pooled connection between two requests."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": pre_ping}
    db = SQLAlchemy(app)
    who, kill = _kill_sql(server)

    @app.route("/")
    def index() -> t.Any:
        return str(db.session.execute(sa.text(who)).scalar())

    client = app.test_client()
    admin = _admin_engine(db_url)
    try:
        first = client.get("/")
        assert first.status_code == 200
        with admin.connect() as conn:
            conn.exec_driver_sql(kill.format(int(first.text)))
        with caplog.at_level(logging.ERROR, logger=app.logger.name):
            second = client.get("/")
        if pre_ping:  # the dead connection is replaced on checkout
            assert second.status_code == 200
            assert not _errors(caplog)
        else:  # one 503 with Retry-After, then the pool has recovered
            assert second.status_code == 503
            assert second.headers["Retry-After"] == "5"
            assert len(_errors(caplog)) == 1
        third = client.get("/")
        assert third.status_code == 200
        assert third.text != first.text
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()


def test_connection_killed_mid_request_rolls_back(
    app: Erlen, db_url: str, server: str
) -> None:
    db = SQLAlchemy(app)

    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)

    who, kill = _kill_sql(server)
    admin = _admin_engine(db_url)

    @app.post("/items")
    def create() -> t.Any:
        db.session.add(Item(name="lost"))
        db.session.flush()  # the INSERT is sent, not committed
        pid = db.session.execute(sa.text(who)).scalar()
        with admin.connect() as conn:
            conn.exec_driver_sql(kill.format(int(pid)))
        db.session.commit()
        return "created", 201

    @app.get("/items")
    def count() -> t.Any:
        return str(db.session.query(Item).count())

    try:
        with app.app_context():
            db.create_all()
        client = app.test_client()
        rv = client.post("/items")
        assert rv.status_code == 503
        assert rv.headers["Retry-After"]
        rv = client.get("/items")
        assert (rv.status_code, rv.text) == (200, "0")
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()


def test_connection_killed_after_the_view_is_not_a_500(
    app: Erlen, db_url: str, server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A restart between the view's last query and teardown: the view's
    answer stands; the failed rollback at close is one warning, not a 500."""
    db = SQLAlchemy(app)
    who, kill = _kill_sql(server)
    admin = _admin_engine(db_url)

    @app.get("/read")
    def read() -> t.Any:
        pid = db.session.execute(sa.text(who)).scalar()  # opens a transaction
        with admin.connect() as conn:
            conn.exec_driver_sql(kill.format(int(pid)))
        return "read", 200

    @app.get("/again")
    def again() -> t.Any:
        return str(db.session.execute(sa.text("SELECT 1")).scalar())

    try:
        client = app.test_client()
        with caplog.at_level(logging.WARNING):
            rv = client.get("/read")
        assert (rv.status_code, rv.text) == (200, "read")
        assert any("teardown" in r.getMessage() for r in caplog.records)
        assert not any(r.exc_info for r in caplog.records)
        rv = client.get("/again")
        assert (rv.status_code, rv.text) == (200, "1")
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()


def test_is_unavailable_classifies() -> None:
    refused = sa.exc.OperationalError(None, None, Exception("refused"))
    assert is_unavailable(refused)
    missing = sa.exc.OperationalError("SELECT 1", None, Exception("no such table"))
    assert not is_unavailable(missing)
    dropped = sa.exc.OperationalError(
        "SELECT 1", None, Exception("gone"), connection_invalidated=True
    )
    assert is_unavailable(dropped)
    assert is_unavailable(sa.exc.DisconnectionError("x"))
    assert not is_unavailable(sa.exc.IntegrityError("INSERT", None, Exception()))
