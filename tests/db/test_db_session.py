"""db.session: one per context, rolled back on errors, connections returned."""

from __future__ import annotations

import threading
import typing as t

import pytest
import sqlalchemy as sa

from erlen import Erlen
from erlen import abort
from erlen import g
from erlen.db import SQLAlchemy


def test_failed_request_rolls_back_and_loses_nothing(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    User = user_model
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a real 500, as in production

    @app.post("/users/<name>")
    def create(name: str) -> t.Any:
        db.session.add(User(username=name))
        db.session.commit()
        return "created", 201

    @app.post("/fail/<name>")
    def fail(name: str) -> t.Any:
        db.session.add(User(username=name))
        db.session.flush()  # the row is in the transaction...
        raise RuntimeError("boom")  # ...which must not survive this

    @app.post("/duplicate")
    def duplicate() -> t.Any:
        db.session.add(User(username="ada"))
        db.session.commit()  # IntegrityError: unique username
        return "unreachable"

    @app.get("/users")
    def users() -> t.Any:
        return {"names": [u.username for u in User.query.order_by(User.id)]}

    client = app.test_client()
    assert client.post("/users/ada").status_code == 201
    assert client.post("/fail/ghost").status_code == 500
    assert client.post("/duplicate").status_code == 500
    assert client.post("/users/bob").status_code == 201
    assert client.get("/users").json == {"names": ["ada", "bob"]}
    with app.app_context():
        assert User.query.count() == 2


def test_handled_error_also_rolls_back(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    User = user_model

    @app.post("/conflict")
    def conflict() -> t.Any:
        db.session.add(User(username="temp"))
        db.session.flush()
        abort(409)

    assert app.test_client().post("/conflict").status_code == 409
    with app.app_context():
        assert User.query.count() == 0


def test_session_is_per_context(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> None:
    seen: list[t.Any] = []

    @app.get("/")
    def index() -> t.Any:
        seen.append(db.session())
        return "ok"

    client = app.test_client()
    client.get("/")
    client.get("/")
    assert seen[0] is not seen[1]
    with app.app_context():
        outer = db.session()
        assert db.session() is outer
        client.get("/")  # a request inside an app context shares its session
        assert seen[2] is outer
        g.marker = 1  # g is the scope's identity; using it changes nothing
        assert db.session() is outer
    with app.app_context():
        assert db.session() is not outer


def test_session_removed_at_teardown(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    with app.app_context():
        session = db.session()
        session.add(user_model(username="pending"))
        assert session.in_transaction() or session.new
    assert not session.new  # closed: pending objects discarded
    assert not session.in_transaction()
    with app.app_context():
        assert user_model.query.count() == 0


def test_threads_get_their_own_session(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    sessions: list[t.Any] = []

    def work() -> None:
        with app.app_context():
            sessions.append(db.session())
            user_model.query.count()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in sessions}) == 4


def test_pool_does_not_grow_over_1000_requests(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    User = user_model
    app.config["PROPAGATE_EXCEPTIONS"] = False
    connects: list[object] = []

    @app.get("/user/<int:id>")
    def show(id: int) -> t.Any:
        return db.get_or_404(User, id).username

    @app.get("/boom")
    def boom() -> t.Any:
        User.query.count()
        raise ValueError("fails after using the database")

    with app.app_context():
        db.session.add(User(username="ada"))
        db.session.commit()
        engine = db.engine
    sa.event.listen(engine, "connect", lambda *a: connects.append(a))
    client = app.test_client()
    assert client.get("/user/1").text == "ada"
    opened = len(connects)
    for i in range(1000):
        if i % 100 == 99:
            assert client.get("/boom").status_code == 500
        elif i % 10 == 9:
            assert client.get("/user/2").status_code == 404
        else:
            assert client.get("/user/1").status_code == 200
    pool = engine.pool
    assert len(connects) == opened <= 1, "new connections were opened"
    assert pool.checkedout() == 0
    if isinstance(pool, sa.pool.QueuePool):
        assert pool.checkedin() <= 1
        assert pool.overflow() <= 0


def test_request_without_database_opens_nothing(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    @app.get("/plain")
    def plain() -> str:
        return "no db here"

    with app.app_context():
        engine = db.engine
    checkouts: list[object] = []
    sa.event.listen(engine, "checkout", lambda *a: checkouts.append(a))
    client = app.test_client()
    for _ in range(5):
        assert client.get("/plain").text == "no db here"
    assert checkouts == []
    assert db.session.registry.registry == {}


@pytest.mark.parametrize("commit", [True, False])
def test_commit_in_one_context_visible_in_next(
    app: Erlen, db: SQLAlchemy, user_model: t.Any, commit: bool
) -> None:
    with app.app_context():
        db.session.add(user_model(username="maybe"))
        if commit:
            db.session.commit()
    with app.app_context():
        assert user_model.query.count() == (1 if commit else 0)
