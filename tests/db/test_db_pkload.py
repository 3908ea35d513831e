"""Primary-key loads on the prebuilt statement (erlen.db.pkload) behave like
SQLAlchemy's ``Session.get``: identity map, autoflush, lazy relationships,
events, errors -- on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime
import typing as t

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from erlen import Erlen
from erlen.db import SQLAlchemy
from erlen.db import pkload


@pytest.fixture
def models(db: SQLAlchemy, app: Erlen) -> t.Any:
    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)
        books = db.relationship("Book", back_populates="author", lazy="select")

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(40), nullable=False)
        published = db.Column(db.DateTime, nullable=True)
        author_id = db.Column(db.ForeignKey("author.id"), nullable=False)
        author = db.relationship("Author", back_populates="books")

    with app.app_context():
        db.create_all()
        db.session.add(Author(id=1, name="ann"))
        db.session.add(
            Book(
                id=7,
                title="b",
                author_id=1,
                published=datetime.datetime(2020, 5, 17, 10, 30),
            )
        )
        db.session.commit()
    return Author, Book


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether each fast_get call took the fast path."""
    calls: list[bool] = []
    real = pkload.fast_get

    def spy(*args: t.Any) -> t.Any:
        rv = real(*args)
        calls.append(rv is not pkload.FALLBACK)
        return rv

    import erlen.db.query as query_mod
    import erlen.db.session as session_mod

    monkeypatch.setattr(session_mod, "fast_get", spy)
    monkeypatch.setattr(query_mod, "fast_get", spy)
    return calls


def test_get_loads_a_persistent_object_into_the_identity_map(
    app: Erlen, db: SQLAlchemy, models: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Author, Book = models
    calls = _spy(monkeypatch)
    with app.app_context():
        a = db.session.get(Author, 1)
        assert a is not None and a.name == "ann"
        assert sa.inspect(a).persistent
        assert db.session.get(Author, 1) is a  # identity map
        assert Author.query.get(1) is a
        assert db.get_or_404(Author, 1) is a
        # The loaded object is the ORM's: lazy loads, changes and commit work.
        assert [b.title for b in a.books] == ["b"]
        assert a.books[0].author is a
        a.name = "bea"
        db.session.commit()
        assert db.session.get(Author, 2) is None
    with app.app_context():
        assert db.session.get(Author, 1).name == "bea"
        assert Author.query.get(1).name == "bea"
    assert calls and all(calls)


def test_converted_columns_and_pending_rows(
    app: Erlen, db: SQLAlchemy, models: t.Any
) -> None:
    Author, Book = models
    with app.app_context():
        book = db.session.get(Book, 7)  # DateTime: Core converts on SQLite
        assert book.published == datetime.datetime(2020, 5, 17, 10, 30)
        db.session.add(Author(id=5, name="pending"))
        # Autoflush before the SELECT, as SQLAlchemy does.
        assert db.session.get(Author, 5).name == "pending"
        db.session.rollback()
        assert db.session.get(Author, 5) is None


def test_expired_and_deleted_objects(app: Erlen, db: SQLAlchemy, models: t.Any) -> None:
    Author, Book = models
    with app.app_context():
        a = db.session.get(Author, 1)
        db.session.expire(a)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE author SET name = 'out' WHERE id = 1"))
        db.session.rollback()
        assert db.session.get(Author, 1) is a
        assert a.name == "out"
        db.session.delete(db.session.get(Book, 7))
        db.session.flush()
        assert db.session.get(Book, 7) is None
        db.session.rollback()
        assert db.session.get(Book, 7).title == "b"


def test_unusual_calls_take_sqlalchemys_path(
    app: Erlen, db: SQLAlchemy, models: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Author, _ = models
    calls = _spy(monkeypatch)
    loaded: list[t.Any] = []
    with app.app_context():
        assert db.session.get(Author, (1,)).name == "ann"
        assert db.session.get(Author, {"id": 1}).name == "ann"
        db.session.expunge_all()
        assert db.session.get(Author, 1, populate_existing=True).name == "ann"
        db.session.expunge_all()
        # A load listener must see every loaded object.

        def on_load(target: t.Any, context: t.Any) -> None:
            loaded.append(target)

        sa.event.listen(Author, "load", on_load)
        try:
            a = db.session.get(Author, 1)
        finally:
            sa.event.remove(Author, "load", on_load)
        assert loaded == [a]
    # The tuple, the dict and the plain call with a listener all fell back.
    assert calls == [False, False, False]


def test_sql_errors_are_wrapped_and_roll_back(
    app: Erlen, db: SQLAlchemy, models: t.Any
) -> None:
    Author, _ = models
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE book"))
            conn.execute(sa.text("DROP TABLE author"))
        with pytest.raises(sa_exc.DBAPIError):
            db.session.get(Author, 1)
        db.session.rollback()
    with app.app_context():
        db.create_all()
        assert db.session.get(Author, 1) is None


def test_request_with_get_or_404(app: Erlen, db: SQLAlchemy, models: t.Any) -> None:
    Author, _ = models

    @app.route("/a/<int:id>")
    def show(id: int) -> t.Any:
        return {"name": db.get_or_404(Author, id).name}

    client = app.test_client()
    assert client.get("/a/1").get_json() == {"name": "ann"}
    assert client.get("/a/9").status_code == 404
    # Beyond 64 bits the drivers raise (SQLite: OverflowError); it is a 404.
    assert client.get(f"/a/{2**63}").status_code == 404
    assert client.get("/a/" + "9" * 30).status_code == 404
