"""``@idempotent`` on a Redis store (the claim is SET NX with a lease)."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen
from erlen.idempotency import idempotent


@pytest.mark.redis
def test_redis_store(app: Erlen, redis_store: t.Any) -> None:
    from erlen.idempotency import RedisIdempotencyStore

    store = RedisIdempotencyStore(redis_store.client, prefix=redis_store.prefix)
    runs = []

    @app.post("/r")
    @idempotent(store=store)
    def r() -> t.Any:
        runs.append(1)
        return {"n": len(runs)}, 201

    client = app.test_client()
    first = client.post("/r", headers={"Idempotency-Key": "k"})
    again = client.post("/r", headers={"Idempotency-Key": "k"})
    assert first.json == again.json == {"n": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
    store.release("nothing")
