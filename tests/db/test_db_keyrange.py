"""Integer keys a column cannot hold are a 404 without a query, not a 500.

PostgreSQL raises "integer out of range" for an ``Integer`` key past 32 bits,
SQLite's driver raises past 64; MariaDB just finds nothing.  Each backend
gets the range its column really has: SQLite's ``Integer`` holds 64 bits.
"""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from erlen import Erlen
from erlen.db import SQLAlchemy
from erlen.db.keyrange import int_range

I32 = 2**31
I16 = 2**15


@pytest.fixture
def models(app: Erlen, db: SQLAlchemy) -> t.Any:
    class Wide(db.Model):
        id = db.Column(db.BigInteger, primary_key=True, autoincrement=False)

    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True, autoincrement=False)
        name = db.Column(db.String(20), nullable=False)

    class Small(db.Model):
        id = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)

    class Unsigned(db.Model):
        id = db.Column(
            db.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb"),
            primary_key=True,
            autoincrement=False,
        )

    class Pair(db.Model):
        a = db.Column(db.Integer, primary_key=True, autoincrement=False)
        b = db.Column(db.Integer, primary_key=True, autoincrement=False)

    with app.app_context():
        db.create_all()
        db.session.add_all(
            [
                Item(id=1, name="one"),
                Item(id=I32 - 1, name="top"),
                Item(id=-I32, name="bottom"),
                Small(id=I16 - 1),
                Wide(id=2**63 - 1),
                Pair(a=1, b=2),
            ]
        )
        db.session.commit()
    return Item, Small, Wide, Unsigned, Pair


@pytest.fixture
def statements(app: Erlen, db: SQLAlchemy) -> t.Iterator[list[str]]:
    """The SQL each request sends (after the fixtures' own)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn: t.Any, cursor: t.Any, statement: str, *args: t.Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def _routes(app: Erlen, db: SQLAlchemy, model: t.Any) -> None:
    @app.get("/get/<int(signed=True):id>")
    def by_get(id: int) -> t.Any:
        return str(db.get_or_404(model, id).id)

    @app.get("/query/<int(signed=True):id>")
    def by_query(id: int) -> t.Any:
        return str(model.query.get_or_404(id).id)

    @app.get("/first/<int(signed=True):id>")
    def by_first(id: int) -> t.Any:
        stmt = db.select(model).where(model.id == id)
        return str(db.first_or_404(stmt).id)

    @app.get("/one/<int(signed=True):id>")
    def by_one(id: int) -> t.Any:
        return str(db.one_or_404(db.select(model).filter_by(id=id)).id)

    @app.get("/legacy/<int(signed=True):id>")
    def by_legacy(id: int) -> t.Any:
        q = model.query.filter(model.id == id)
        return str(q.first_or_404().id) + str(q.one_or_404().id)


HELPERS = ["/get", "/query", "/first", "/one", "/legacy"]


def test_integer_keys_past_the_column_are_404_without_a_query(
    app: Erlen,
    db: SQLAlchemy,
    models: t.Any,
    statements: list[str],
    backend: str,
) -> None:
    Item = models[0]
    _routes(app, db, Item)
    client = app.test_client()
    for helper in HELPERS:
        for key in (1, I32 - 1, -I32):
            rv = client.get(f"{helper}/{key}")
            assert rv.status_code == 200, (helper, key, rv.text)
            assert rv.text.startswith(str(key))
        statements.clear()
        for key in (I32, -I32 - 1, 2**63, 2**64, 10**30):
            rv = client.get(f"{helper}/{key}")
            assert rv.status_code == 404, (helper, key, rv.text)
            if backend != "sqlite" or abs(key) >= 2**63:
                assert statements == [], (helper, key)
            statements.clear()


def test_sqlite_integer_columns_hold_64_bits(
    app: Erlen, db: SQLAlchemy, models: t.Any, backend: str
) -> None:
    """What fits depends on the database: SQLite's INTEGER is 64 bits."""
    if backend != "sqlite":
        pytest.skip("only SQLite stores a 64-bit value in an INTEGER column")
    Item, Small = models[0], models[1]
    with app.app_context():
        db.session.add_all([Item(id=2**40, name="big"), Small(id=I16)])
        db.session.commit()
    _routes(app, db, Item)
    client = app.test_client()
    for helper in HELPERS:
        assert client.get(f"{helper}/{2**40}").text.startswith(str(2**40))
    with app.app_context():
        assert db.session.get(Small, I16) is not None


def test_small_big_unsigned_and_composite_keys(
    app: Erlen, db: SQLAlchemy, models: t.Any, statements: list[str], backend: str
) -> None:
    Item, Small, Wide, Unsigned, Pair = models
    with app.app_context():
        assert db.session.get(Small, I16 - 1) is not None
        assert db.session.get(Wide, 2**63 - 1) is not None
        statements.clear()
        assert db.session.get(Wide, 2**63) is None
        assert db.session.get(Pair, (1, 2**63)) is None
        assert db.session.get(Pair, {"a": 2**63, "b": 2}) is None
        assert statements == []
        assert db.session.get(Pair, (1, 2)) is not None
        assert db.session.get(Pair, {"a": 1, "b": 2}) is not None
        statements.clear()
        fits_32 = backend == "sqlite"
        assert db.session.get(Small, I16) is None
        assert db.session.get(Pair, (1, I32)) is None
        assert db.session.get(Pair, {"a": I32, "b": 2}) is None
        assert (statements == []) is not fits_32
        statements.clear()
        if backend == "mysql":
            # INT UNSIGNED holds 0 .. 2**32-1 and no negative numbers.
            db.session.add(Unsigned(id=2**32 - 1))
            db.session.commit()
            assert db.session.get(Unsigned, 2**32 - 1) is not None
            statements.clear()
            assert db.session.get(Unsigned, 2**32) is None
            assert db.session.get(Unsigned, -(2**20)) is None
            assert statements == []
        elif backend == "postgresql":
            assert db.session.get(Unsigned, I32) is None  # a plain INTEGER here
            assert statements == []


def test_ranges_per_dialect() -> None:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.dialects import sqlite

    pg, my, lite = postgresql.dialect(), mysql.dialect(), sqlite.dialect()
    assert int_range(sa.Integer(), pg) == (-(2**31), 2**31 - 1)
    assert int_range(sa.SmallInteger(), pg) == (-(2**15), 2**15 - 1)
    assert int_range(sa.BigInteger(), pg) == (-(2**63), 2**63 - 1)
    assert int_range(sa.Integer(), lite) == (-(2**63), 2**63 - 1)
    assert int_range(sa.SmallInteger(), lite) == (-(2**63), 2**63 - 1)
    assert int_range(mysql.TINYINT(unsigned=True), my) == (0, 255)
    assert int_range(mysql.MEDIUMINT(), my) == (-(2**23), 2**23 - 1)
    assert int_range(mysql.BIGINT(unsigned=True), my) == (0, 2**64 - 1)
    assert int_range(sa.Integer(), my) == (-(2**31), 2**31 - 1)
    assert int_range(sa.String(10), pg) is None
    assert int_range(sa.Boolean(), pg) is None

    class Shifted(sa.TypeDecorator[int]):
        impl = sa.Integer
        cache_ok = True

    assert int_range(Shifted(), pg) is None  # it may convert the value
