"""``@idempotent`` with erlen.db: the key commits with the view's rows."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest

from erlen import Erlen
from erlen import request
from erlen.db import SQLAlchemy
from erlen.idempotency import idempotent


@pytest.fixture
def item_app(app: Erlen, db: SQLAlchemy) -> tuple[Erlen, t.Any]:
    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)

    @app.post("/items")
    @idempotent
    def create() -> t.Any:
        item = Item(name=request.get_json()["name"])
        db.session.add(item)
        db.session.commit()
        if request.args.get("crash"):
            raise RuntimeError("the worker died after committing")
        if request.args.get("wait"):
            time.sleep(float(request.args["wait"]))
        return {"id": item.id}, 201

    @app.get("/items")
    def count() -> t.Any:
        return {"count": db.session.query(Item).count()}

    with app.app_context():
        db.create_all()
    return app, Item


def test_retry_inserts_once(item_app: tuple[Erlen, t.Any]) -> None:
    app, _ = item_app
    client = app.test_client()
    headers = {"Idempotency-Key": "abc"}
    first = client.post("/items", json={"name": "a"}, headers=headers)
    again = client.post("/items", json={"name": "a"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.get("/items").json == {"count": 1}
    assert client.post("/items", json={"name": "b"}, headers=headers).status_code == 422
    assert client.post("/items", json={"name": "a"}).status_code == 201
    assert client.get("/items").json == {"count": 2}


def test_commit_then_crash_is_never_applied_twice(
    item_app: tuple[Erlen, t.Any],
) -> None:
    app, _ = item_app
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    headers = {"Idempotency-Key": "crash"}
    rv = client.post("/items?crash=1", json={"name": "a"}, headers=headers)
    assert rv.status_code == 500
    rv = client.post("/items?crash=1", json={"name": "a"}, headers=headers)
    assert rv.status_code == 409  # the key committed with the row
    assert client.get("/items").json == {"count": 1}


def test_purge(item_app: tuple[Erlen, t.Any], db: SQLAlchemy) -> None:
    app, _ = item_app
    app.test_client().post(
        "/items", json={"name": "a"}, headers={"Idempotency-Key": "p"}
    )
    store = app.extensions["idempotency"]
    with app.app_context():
        assert store.purge() == 0


def test_racing_retries_insert_once(
    item_app: tuple[Erlen, t.Any], backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server")
    app, _ = item_app
    results: list[t.Any] = []

    def post() -> None:
        results.append(
            app.test_client().post(
                "/items?wait=0.3", json={"name": "a"}, headers={"Idempotency-Key": "r"}
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
    assert app.test_client().get("/items").json == {"count": 1}
