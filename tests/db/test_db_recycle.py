"""Sessions reused across contexts (erlen.db.recycle): only when a new one
could not behave differently."""

from __future__ import annotations

import threading
import typing as t
import weakref

import sqlalchemy as sa

from erlen import Erlen
from erlen.db import SQLAlchemy


def _first_session(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> t.Any:
    """A weak reference to the session of a finished context that read a row."""
    with app.app_context():
        db.session.add(user_model(username="ada"))
        db.session.commit()
        ref = weakref.ref(db.session())
    return ref


def test_closed_session_is_reused_and_starts_empty(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    ref = _first_session(app, db, user_model)
    with app.app_context():
        loaded = db.session.get(user_model, 1)
        assert db.session() is ref()
    assert sa.inspect(loaded).detached  # identity map emptied at teardown
    with app.app_context():
        session = db.session()
        assert session is ref()
        assert not session.identity_map and not session.new
        assert not session.in_transaction()
        again = db.session.get(user_model, 1)
        assert again is not loaded and again.username == "ada"


def test_session_someone_holds_is_not_reused(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    kept: list[t.Any] = []
    with app.app_context():
        kept.append(db.session())
        db.session.get(user_model, 1)
    with app.app_context():
        assert db.session() is not kept[0]


def test_changed_settings_info_and_listeners_are_not_carried_over(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    ref = _first_session(app, db, user_model)
    commits: list[object] = []
    with app.app_context():
        db.session.autoflush = False
    with app.app_context():
        assert db.session.autoflush is True
        assert db.session() is not ref()
    with app.app_context():
        db.session.info["request"] = 1
    with app.app_context():
        assert db.session.info == {}
    with app.app_context():
        sa.event.listen(db.session(), "after_commit", commits.append)
        db.session.commit()
    assert len(commits) == 1
    with app.app_context():
        db.session.add(user_model(username="bob"))
        db.session.commit()
        assert len(commits) == 1, "a listener of an earlier session fired"


def test_rollback_and_pool_after_reuse(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    _first_session(app, db, user_model)
    with app.app_context():
        engine = db.engine
    resets: list[t.Any] = []
    sa.event.listen(engine.pool, "reset", lambda c, r, state: resets.append(state))
    with app.app_context():
        db.session.add(user_model(username="lost"))
        db.session.flush()
    with app.app_context():
        assert [u.username for u in user_model.query] == ["ada"]
    # One rollback per context, done by the connection, not again by the pool.
    assert len(resets) == 2
    assert all(state.transaction_was_reset for state in resets)
    assert engine.pool.checkedout() == 0


def test_threads_never_share_a_session(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    _first_session(app, db, user_model)
    in_use: set[int] = set()
    lock = threading.Lock()
    errors: list[str] = []
    seen: set[int] = set()

    def work() -> None:
        for _ in range(30):
            with app.app_context():
                key = id(db.session())
                with lock:
                    if key in in_use:
                        errors.append("a session was in two contexts at once")
                    in_use.add(key)
                    seen.add(key)
                assert db.session.get(user_model, 1) is not None
                with lock:
                    in_use.discard(key)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(seen) <= 8  # reused, not one per context
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
