"""``@idempotent`` with erlen.db: the answer commits with the view's rows.

Whatever fails -- the view, the connection while the answer is stored, the
worker mid-request -- a retry with the same key either gets the answer or
runs the view again on a database without its rows: never a second insert,
never a 409 for good.
"""

from __future__ import annotations

import threading
import time
import typing as t

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from erlen import Erlen
from erlen import request
from erlen.db import SQLAlchemy
from erlen.db.idempotency import SQLIdempotencyStore
from erlen.idempotency import idempotent


class Clock:
    """The store's time, moved by the test (no sleeping)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class ItemApp:
    def __init__(self, app: Erlen, db: SQLAlchemy, model: t.Any) -> None:
        self.app, self.db, self.Item = app, db, model
        self.client = app.test_client()
        #: What the next runs of the view do, one entry per run.
        self.plan: list[str] = []
        self.runs = 0

    def post(self, key: str = "k", name: str = "a") -> t.Any:
        return self.client.post(
            "/items", json={"name": name}, headers={"Idempotency-Key": key}
        )

    def names(self) -> list[str]:
        with self.app.app_context():
            query = sa.select(self.Item.name).order_by(self.Item.id)
            return list(self.db.session.execute(query).scalars())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def items(app: Erlen, db: SQLAlchemy, clock: Clock) -> ItemApp:
    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False, unique=True)

    test = ItemApp(app, db, Item)
    app.extensions["idempotency"] = SQLIdempotencyStore(db, clock=clock)

    @app.post("/items")
    @idempotent
    def create() -> t.Any:
        test.runs += 1
        step = test.plan.pop(0) if test.plan else ""
        item = Item(name=request.get_json()["name"])
        db.session.add(item)
        db.session.commit()
        if step == "raise":
            raise RuntimeError("the view failed after committing")
        if step == "500":
            return {"error": "after committing"}, 500
        if step == "wait":
            time.sleep(0.3)
        return {"id": item.id}, 201

    with app.app_context():
        db.create_all()
    return test


def test_retry_inserts_once(items: ItemApp) -> None:
    first = items.post()
    again = items.post()
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert items.names() == ["a"]
    assert items.post(name="b").status_code == 422  # same key, other body
    assert items.client.post("/items", json={"name": "c"}).status_code == 201
    assert items.names() == ["a", "c"]
    assert items.runs == 2


@pytest.mark.parametrize("failure", ["raise", "500"])
def test_a_failed_view_leaves_nothing_and_the_retry_runs(
    items: ItemApp, failure: str
) -> None:
    """The view committed, then failed: its commit is undone with the key,
    so the retry runs on a clean database (and a crash is not a 409)."""
    items.app.config["PROPAGATE_EXCEPTIONS"] = False
    items.plan = [failure]
    assert items.post().status_code == 500
    assert items.names() == []
    retry = items.post()
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert items.post().headers["Idempotent-Replayed"] == "true"
    assert items.names() == ["a"]
    assert items.runs == 2


def _fail_storing_the_answer(engine: sa.Engine) -> None:
    """Drop the connection the moment the answer is to be stored (what a
    database restart between the view's commit and the answer looks like)."""

    def before(conn: t.Any, cursor: t.Any, statement: str, *args: t.Any) -> None:
        if statement.startswith("UPDATE erlen_idempotency_keys SET done"):
            sa.event.remove(engine, "before_cursor_execute", before)
            raise sa_exc.OperationalError(
                statement,
                None,
                Exception("server closed the connection unexpectedly"),
                connection_invalidated=True,
            )

    sa.event.listen(engine, "before_cursor_execute", before)


def test_connection_lost_before_the_answer_is_stored(items: ItemApp) -> None:
    with items.app.app_context():
        _fail_storing_the_answer(items.db.engine)
    lost = items.post()
    assert lost.status_code == 503  # the database "went away"
    assert lost.headers["Retry-After"]
    assert items.names() == []  # the view's commit went with the answer
    retry = items.post()
    assert retry.status_code == 201  # runs again: not 409, not a replay
    assert "Idempotent-Replayed" not in retry.headers
    assert items.post().headers["Idempotent-Replayed"] == "true"
    assert items.names() == ["a"]


def _kill_sql(backend: str) -> tuple[str, str]:
    if backend == "postgresql":
        return "SELECT pg_backend_pid()", "SELECT pg_terminate_backend({})"
    return "SELECT connection_id()", "KILL {}"


def test_server_kills_the_connection_after_the_view_commits(
    app: Erlen, db: SQLAlchemy, db_url: str, backend: str
) -> None:
    """The real thing: the server drops the connection after the view's
    commit.  Before, the rows stayed and every retry was a 409."""
    if backend == "sqlite":
        pytest.skip("SQLite has no server connection to kill")

    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)

    who, kill = _kill_sql(backend)
    admin = sa.create_engine(
        db_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    kills = [1]

    @app.post("/items")
    @idempotent
    def create() -> t.Any:
        item = Item(name=request.get_json()["name"])
        db.session.add(item)
        db.session.commit()
        if kills:
            kills.pop()
            pid = db.session.execute(sa.text(who)).scalar()
            with admin.connect() as conn:
                conn.exec_driver_sql(kill.format(int(pid)))
        return {"id": item.id}, 201

    def count() -> int:
        with app.app_context():
            return int(db.session.query(Item).count())

    try:
        with app.app_context():
            db.create_all()
        client = app.test_client()
        headers = {"Idempotency-Key": "killed"}
        first = client.post("/items", json={"name": "a"}, headers=headers)
        assert first.status_code == 503
        assert count() == 0
        retry = client.post("/items", json={"name": "a"}, headers=headers)
        assert retry.status_code == 201
        again = client.post("/items", json={"name": "a"}, headers=headers)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json == retry.json
        assert count() == 1
    finally:
        admin.dispose()


def test_a_dead_workers_claim_expires_after_the_lease(
    items: ItemApp, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-request never finishes nor releases its claim:
    retries get 409 until the lease is over, then the view runs.  (On
    MariaDB ``expires_at`` is a 4-byte FLOAT, ~2 minutes; the second
    matters here.)"""
    items.app.config["IDEMPOTENCY_LEASE"] = 30
    store = items.app.extensions["idempotency"]
    with monkeypatch.context() as m:
        # The process dies: nothing after the view runs; the database rolls
        # back what the view held.
        m.setattr(store, "finish", lambda *args: None)
        m.setattr(store, "release", lambda *args: None)
        assert items.post().status_code == 201
    assert items.names() == []
    clock.now += 29
    busy = items.post()
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert busy.json["error"]["detail"].endswith("is still being processed.")
    clock.now += 2
    retry = items.post()
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert items.post().headers["Idempotent-Replayed"] == "true"
    assert items.names() == ["a"]


def test_a_request_that_outlives_its_lease_commits_nothing(
    items: ItemApp, clock: Clock
) -> None:
    """A slow first request loses its claim to a retry after the lease: the
    retry's answer counts, the slow one's work is undone (409)."""
    entered, go_on = threading.Event(), threading.Event()
    app, db, Item = items.app, items.db, items.Item
    runs: list[str] = []

    @app.post("/lease")
    @idempotent(lease=10)
    def lease_view() -> t.Any:
        runs.append(f"run{len(runs) + 1}")
        name = runs[-1]
        if name == "run1":  # the slow one
            entered.set()
            assert go_on.wait(10)
        item = Item(name=name)
        db.session.add(item)
        db.session.commit()
        return {"id": item.id}, 201

    def post() -> t.Any:
        return app.test_client().post(
            "/lease", json={"name": "x"}, headers={"Idempotency-Key": "s"}
        )

    results: list[t.Any] = []

    def first() -> None:
        try:
            results.append(post())
        except BaseException as e:  # shown by the assert below
            results.append(e)

    slow = threading.Thread(target=first)
    slow.start()
    try:
        assert entered.wait(10)
        assert post().status_code == 409  # within the lease
        clock.now += 11
        retry = post()
        assert retry.status_code == 201  # the claim was taken over
    finally:
        go_on.set()
        slow.join(10)
    [late] = results
    assert not isinstance(late, BaseException), late
    assert late.status_code == 409
    assert late.headers["Retry-After"] == "1"
    assert items.names() == ["run2"]
    assert post().json == retry.json


def test_the_views_own_rollback_stops_at_its_last_commit(
    app: Erlen, db: SQLAlchemy
) -> None:
    """Inside the held transaction, commit and rollback keep their meaning:
    a rollback (after a failed insert) loses only what came after the last
    commit, and the session stays usable."""

    class Tag(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False, unique=True)

    @app.post("/tags")
    @idempotent
    def tags() -> t.Any:
        db.session.add(Tag(name="kept"))
        db.session.commit()
        db.session.add(Tag(name="kept"))  # a duplicate
        try:
            db.session.commit()
        except sa_exc.IntegrityError:
            db.session.rollback()
        db.session.add(Tag(name="dropped"))
        db.session.flush()
        db.session.rollback()
        db.session.add(Tag(name="last"))
        db.session.commit()
        names = db.session.execute(sa.select(Tag.name).order_by(Tag.id)).scalars()
        return {"seen": list(names)}, 201

    with app.app_context():
        db.create_all()
    client = app.test_client()
    rv = client.post("/tags", headers={"Idempotency-Key": "t"})
    assert rv.status_code == 201, rv.text
    assert rv.json == {"seen": ["kept", "last"]}
    with app.app_context():
        names = db.session.execute(sa.select(Tag.name).order_by(Tag.id)).scalars()
        assert list(names) == ["kept", "last"]
    assert client.post("/tags", headers={"Idempotency-Key": "t"}).json == rv.json


def test_closing_the_session_in_the_view_is_an_error(
    app: Erlen, db: SQLAlchemy
) -> None:
    """Closing the session would drop the held commits: a loud 500 (and a
    free key), never an answer stored for rows that are not there."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    class Tag(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    @app.post("/tags/<how>")
    @idempotent
    def tags(how: str) -> t.Any:
        db.session.add(Tag())
        db.session.commit()
        db.session.close()
        if how == "commit":
            db.session.add(Tag())
            db.session.commit()
        return "", 201

    with app.app_context():
        db.create_all()
    client = app.test_client()
    for how in ("commit", "return"):
        headers = {"Idempotency-Key": how}
        assert client.post(f"/tags/{how}", headers=headers).status_code == 500
        assert client.post(f"/tags/{how}", headers=headers).status_code == 500
    with app.app_context():
        assert db.session.query(Tag).count() == 0


def test_purge(items: ItemApp, clock: Clock) -> None:
    items.post()
    store = items.app.extensions["idempotency"]
    with items.app.app_context():
        assert store.purge() == 0
        clock.now += 24 * 3600 + 300  # FLOAT on MariaDB: ~2 min
        assert store.purge() == 1


def test_an_expired_answer_runs_the_view_again(items: ItemApp, clock: Clock) -> None:
    assert items.post(name="a").status_code == 201
    clock.now += 24 * 3600 + 300  # FLOAT on MariaDB: ~2 min
    # The key is new again: the view runs (here: a duplicate name, a 500).
    items.app.config["PROPAGATE_EXCEPTIONS"] = False
    assert items.post(name="a").status_code == 500
    assert items.runs == 2


def test_racing_retries_insert_once(items: ItemApp, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server")
    items.plan = ["wait"] * 3
    results: list[t.Any] = []

    def post() -> None:
        results.append(
            items.app.test_client().post(
                "/items", json={"name": "a"}, headers={"Idempotency-Key": "r"}
            )
        )

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    statuses = sorted(rv.status_code for rv in results)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    assert items.names() == ["a"]
